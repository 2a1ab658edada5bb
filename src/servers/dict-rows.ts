import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { DICT_ITER_END, formatDictIterRow, formatDictLookupReply } from '../../protocol/dict-replies.js';
import type { DictRow } from '../lookup/dict-lookup.js';
import { DICT_INTERNAL_ERROR_REPLY } from './replies.js';

/** Rows per socket write while iterating: large enough to amortise syscalls, small enough to stream. */
const ROW_BATCH_CHARS = 32 * 1024;

/**
 * Writes an iteration's rows to `socket` in batches until they end (true: the terminator is
 * written) or the socket needs to drain first (false: call again on 'drain'). A lookup that throws
 * midway ends the iteration with an F line, which the client takes as the empty line's end too.
 */
export function streamRows(rows: Iterator<DictRow>, socket: Socket, log: Logger): boolean {
  let batch = '';
  try {
    for (let r = rows.next(); !r.done; r = rows.next()) {
      batch += formatDictIterRow(r.value[0], r.value[1]);
      if (batch.length >= ROW_BATCH_CHARS) {
        const more = socket.write(batch);
        batch = '';
        if (!more) return false;
      }
    }
    batch += DICT_ITER_END;
  } catch (err) {
    log.error({ err }, 'dict iteration failed');
    batch += formatDictLookupReply(DICT_INTERNAL_ERROR_REPLY);
  }
  socket.write(batch);
  return true;
}
