import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { DICT_ITER_END, formatDictIterRow, formatDictLookupReply } from '../../protocol/dict-replies.js';
import { ROWS_PENDING, type DictRow } from '../lookup/dict-lookup.js';
import { DICT_INTERNAL_ERROR_REPLY } from './replies.js';

/** Rows per socket write while iterating: large enough to amortise syscalls, small enough to stream. */
const ROW_BATCH_CHARS = 32 * 1024;

/**
 * Writes an iteration's rows to `socket` in batches until they end ('done': the terminator is
 * written), the socket needs to drain first ('drain': call again on 'drain'), or the rows are
 * not made yet ('later': call again on a later turn). A lookup that throws midway ends the
 * iteration with an F line, which the client takes as the empty line's end too.
 */
export function streamRows(rows: Iterator<DictRow | typeof ROWS_PENDING>, socket: Socket, log: Logger): 'done' | 'drain' | 'later' {
  let batch = '';
  try {
    for (let r = rows.next(); !r.done; r = rows.next()) {
      if (r.value === ROWS_PENDING) {
        if (batch !== '') socket.write(batch);
        return 'later';
      }
      batch += formatDictIterRow(r.value[0], r.value[1]);
      if (batch.length >= ROW_BATCH_CHARS) {
        const more = socket.write(batch);
        batch = '';
        if (!more) return 'drain';
      }
    }
    batch += DICT_ITER_END;
  } catch (err) {
    log.error({ err }, 'dict iteration failed');
    batch += formatDictLookupReply(DICT_INTERNAL_ERROR_REPLY);
  }
  socket.write(batch);
  return 'done';
}
