import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { DictCommandChar, parseDictCommand, parseDictHello, type DictCommand, type DictHello } from '../../protocol/dict.js';
import { DictLineDecoder } from '../../protocol/dict-lines.js';
import { formatDictCommitReply, formatDictLookupReply } from '../../protocol/dict-replies.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { loggableDictKey, PASSDB_PREFIX, READ_ONLY_REASON, ROWS_PENDING, USERDB_PREFIX, type DictLookup, type DictRow } from '../lookup/dict-lookup.js';
import { endGracefully, IdleTimer, RequestDeadline, REQUESTS_PER_TURN, type ServedConnection } from './connection-guard.js';
import { streamRows } from './dict-rows.js';
import { DictTransactions } from './dict-transactions.js';
import { DICT_INTERNAL_ERROR_REPLY, toDictReply } from './replies.js';

/** Where answered lookups and protocol errors are counted (the ops counters, when wired). */
export interface DictCounters {
  lookup(proto: string, map: string, result: string): void;
  protocolError(proto: string, code: string): void;
}

/** Per-connection settings of the dict server. */
export interface DictConnectionOptions {
  readonly lookup: DictLookup;
  readonly maxLineBytes: number;
  readonly idleTimeoutMs: number;
  /** A line that has started must be complete within this long (ms); 0 disables. */
  readonly requestTimeoutMs?: number;
  readonly counters?: DictCounters;
}


/** Serves one Dovecot dict connection; the returned handle lets the listener shut it down gracefully. */
export function serveDict(socket: Socket, log: Logger, options: DictConnectionOptions): ServedConnection {
  const connection = new DictConnection(socket, log, options);
  connection.start();
  return connection;
}

/**
 * One dict client. Dovecot sends HELLO and its first command in one write, then either closes
 * after the reply (the default) or keeps the connection (`idle_msecs`). Commands are answered
 * strictly in order with no async ids. An iteration is streamed row batch by row batch; while the
 * peer is not reading, we stop reading too, so neither replies nor requests pile up in memory.
 * Commands are answered in batches; between batches the connection yields to the others.
 */
class DictConnection implements ServedConnection {
  readonly #socket: Socket;
  readonly #log: Logger;
  readonly #o: DictConnectionOptions;
  readonly #decoder: DictLineDecoder;
  readonly #deadline: RequestDeadline;
  readonly #idle: IdleTimer;
  #yielded = false;
  #hello: DictHello | undefined;
  /** The iteration being streamed; later commands wait for it. */
  #rows: Iterator<DictRow | typeof ROWS_PENDING> | undefined;
  #commands = 0;
  /** The peer sent FIN: finish what it asked for, then close. */
  #peerEnded = false;
  /** A malformed line was seen: nothing more is read or answered. */
  #failed = false;
  readonly #transactions = new DictTransactions();

  constructor(socket: Socket, log: Logger, options: DictConnectionOptions) {
    this.#socket = socket;
    this.#log = log;
    this.#o = options;
    this.#decoder = new DictLineDecoder(options.maxLineBytes);
    // While we paused reading (backpressure) the partial line is our delay, not the client's.
    this.#deadline = new RequestDeadline(options.requestTimeoutMs ?? 0, () => {
      if (this.#socket.isPaused()) return this.#deadline.update(true);
      this.#log.warn({ commands: this.#commands }, 'dict line not completed in time; closing connection');
      this.#failed = true;
      this.#finish();
    });
    this.#idle = new IdleTimer(options.idleTimeoutMs, () => {
      this.#log.debug({ commands: this.#commands }, 'idle timeout');
      this.#failed = true;
      this.#finish();
    });
  }

  shutdown(): void {
    this.#peerEnded = true;
    this.#pump();
  }

  /** Ends our side after what is written; reading on lets the peer's FIN close the socket at once. */
  #finish(): void {
    this.#deadline.stop();
    this.#idle.stop();
    this.#rows = undefined;
    endGracefully(this.#socket);
    this.#socket.resume();
  }

  start(): void {
    const socket = this.#socket;
    // We end our side ourselves, after the last reply: a client may send its commands and FIN
    // at once and still expect every answer (a long iteration included).
    socket.allowHalfOpen = true;
    socket.on('data', (chunk: Buffer) => {
      if (this.#failed || this.#peerEnded) return;
      this.#decoder.push(chunk);
      this.#pump();
    });
    socket.on('drain', () => this.#pump());
    socket.on('end', () => {
      if (!this.#decoder.idle) this.#log.warn({ commands: this.#commands }, 'dict connection closed in the middle of a command');
      this.#peerEnded = true;
      this.#pump();
    });
    socket.on('close', () => {
      this.#deadline.stop();
      this.#idle.stop();
      this.#rows = undefined;
      this.#log.debug({ commands: this.#commands }, 'dict connection closed');
    });
  }

  /**
   * Handles buffered lines in order until they run out, the socket needs to drain, or one batch
   * is done (then it yields and continues on the next turn).
   */
  #pump(): void {
    const socket = this.#socket;
    if (this.#failed || socket.destroyed) return;
    this.#idle.touch();
    let more = false;
    socket.cork();
    try {
      for (let handled = 0; ; handled++) {
        if (this.#rows) {
          const streamed = streamRows(this.#rows, socket, this.#log);
          if (streamed === 'drain') break;
          if (streamed === 'later') {
            more = true;
            break;
          }
          this.#rows = undefined;
        }
        if (socket.writableNeedDrain) break;
        if (handled >= REQUESTS_PER_TURN) {
          more = true;
          break;
        }
        const line = this.#decoder.nextLine();
        if (line === undefined) break;
        this.#handleLine(line);
      }
      this.#deadline.update(!this.#decoder.idle);
    } catch (err) {
      this.#fail(err);
    } finally {
      socket.uncork();
    }
    if (this.#failed) return;
    if (more && !socket.writableNeedDrain && !this.#yielded) {
      this.#yielded = true;
      setImmediate(() => {
        this.#yielded = false;
        this.#pump();
      });
    }
    if (!more && this.#peerEnded && !this.#rows && !socket.writableNeedDrain) {
      this.#finish();
      return;
    }
    // Backpressure: read nothing more until the peer has taken what we wrote, or while lines wait.
    if (socket.writableNeedDrain || this.#rows || more || this.#peerEnded) socket.pause();
    else socket.resume();
  }

  /** Ends this connection after a malformed line (or a bug): answers already written still go out. */
  #fail(err: unknown): void {
    this.#failed = true;
    this.#finish();
    try {
      if (!(err instanceof ProtocolError)) throw err;
      this.#log.warn({ code: err.code, reason: err.message, commands: this.#commands }, 'malformed dict input; closing connection');
      this.#o.counters?.protocolError('dict', err.code);
    } catch (bug) {
      // A bug must cost one connection (Dovecot retries once on a new one), not the whole server.
      this.#log.error({ err: bug, commands: this.#commands }, 'dict connection failed; closing it');
    }
  }

  #handleLine(line: string): void {
    if (!this.#hello) {
      this.#hello = parseDictHello(line);
      this.#log.debug({ dict: this.#hello.dictName, major: this.#hello.major, minor: this.#hello.minor }, 'dict hello');
      return;
    }
    const cmd = parseDictCommand(line, this.#hello.major);
    this.#commands++;
    this.#execute(cmd);
  }

  #execute(cmd: DictCommand): void {
    switch (cmd.cmd) {
      // L<key>\t<user>  ->  O<json> | N | F<reason>
      case DictCommandChar.Lookup:
        return void this.#socket.write(formatDictLookupReply(this.#lookup(cmd.key)));
      // I<flags>\t<max_rows>\t<path>\t<user>  ->  O<key>\t<json> ... then an empty line | F<reason>
      case DictCommandChar.Iterate:
        return this.#iterate(cmd);
      // B/S/U/A/T/V are never answered; we only note which keys a client tried to change.
      case DictCommandChar.Begin:
        return this.#transactions.begin(cmd.id);
      case DictCommandChar.Set:
      case DictCommandChar.Unset:
      case DictCommandChar.AtomicInc:
        return this.#transactions.change(cmd.id, cmd.key);
      case DictCommandChar.Timestamp:
      case DictCommandChar.HideLogValues:
        return;
      // C<id>  ->  F<id>\t<reason> at once, so the client never waits for its 30 s timeout.
      case DictCommandChar.Commit:
      case DictCommandChar.CommitAsync:
        return this.#refuseCommit(cmd.id, cmd.cmd === DictCommandChar.CommitAsync);
      // R<id> is silent.
      case DictCommandChar.Rollback:
        return void this.#transactions.end(cmd.id);
    }
  }

  #iterate(cmd: Extract<DictCommand, { cmd: DictCommandChar.Iterate }>): void {
    const it = this.#o.lookup.iterate(cmd);
    this.#o.counters?.lookup('dict', 'iterate', it.kind);
    if (this.#log.isLevelEnabled('debug')) this.#log.debug({ cmd: 'I', flags: cmd.flags, paths: cmd.paths, result: it.kind }, 'dict iterate');
    if (it.kind === 'rows') this.#rows = it.rows[Symbol.iterator]();
    else this.#socket.write(formatDictLookupReply(toDictReply(it)));
  }

  #refuseCommit(id: number, async: boolean): void {
    const { keys, changes } = this.#transactions.end(id);
    this.#log.warn({ id, keys, changes }, 'dict write refused: mailroster is read-only');
    this.#socket.write(formatDictCommitReply(id, { kind: 'fail', reason: READ_ONLY_REASON }, async));
  }

  #lookup(key: string) {
    try {
      const result = this.#o.lookup.lookup(key);
      const map = key.startsWith(USERDB_PREFIX) ? 'userdb' : key.startsWith(PASSDB_PREFIX) ? 'passdb' : '(unknown)';
      this.#o.counters?.lookup('dict', map, result.kind);
      // The key only (a passdb value holds a password hash), and without its password digest.
      if (this.#log.isLevelEnabled('debug')) this.#log.debug({ cmd: 'L', key: loggableDictKey(key), result: result.kind }, 'dict lookup');
      return toDictReply(result);
    } catch (err) {
      this.#log.error({ err, key: loggableDictKey(key) }, 'dict lookup failed');
      return DICT_INTERNAL_ERROR_REPLY;
    }
  }
}
