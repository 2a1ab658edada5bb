import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { NetstringDecoder } from '../../protocol/netstring.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { parseSocketmapRequest } from '../../protocol/socketmap.js';
import { WrittenReply, type SocketmapAnswers } from '../lookup/socketmap-lookup.js';
import type { LookupCounters } from '../ops/lookup-counters.js';
import { endGracefully, IdleTimer, REPLY_BYTES_PER_TURN, RequestDeadline, REQUESTS_PER_TURN, type ServedConnection } from './connection-guard.js';
import { INTERNAL_ERROR_FRAME } from './replies.js';
import { ReplyWriter } from './reply-writer.js';

/** Per-connection settings of the socketmap server. */
export interface SocketmapConnectionOptions {
  /** Answers (and counts) lookups as ready-to-send frames. */
  readonly answers: SocketmapAnswers;
  readonly maxRequestBytes: number;
  readonly idleTimeoutMs: number;
  /** A request that has started must be complete within this long (ms); 0 disables. */
  readonly requestTimeoutMs: number;
  readonly counters: LookupCounters;
}

/** Decoded requests waiting for an answer beyond which we stop reading from the client. */
const MAX_PENDING_REQUESTS = 1024;

/** Replies are framed here, batch by batch, for every connection (batches never interleave). */
const replies = new ReplyWriter();
const STATUS_WORDS = ['OK', 'NOTFOUND', 'TEMP', 'PERM', 'TEMP'] as const;

/** Serves one Postfix connection; the returned handle lets the listener shut it down gracefully. */
export function serveSocketmap(socket: Socket, log: Logger, options: SocketmapConnectionOptions): ServedConnection {
  const connection = new SocketmapConnection(socket, log, options);
  connection.start();
  return connection;
}

/**
 * One Postfix connection. Postfix sends one request and waits for its reply (strict lockstep), but
 * pipelined frames are accepted too and answered in request order. Lookups are synchronous over an
 * in-memory snapshot; what bounds a connection is the client: replies are written in batches, the
 * next batch waits until the socket has drained, reading pauses while requests pile up, and
 * between batches the connection yields so the others are answered meanwhile. Malformed input
 * and bugs close this connection only, after the replies owed for the frames before it.
 */
class SocketmapConnection implements ServedConnection {
  readonly #socket: Socket;
  readonly #log: Logger;
  readonly #o: SocketmapConnectionOptions;
  readonly #decoder: NetstringDecoder;
  readonly #deadline: RequestDeadline;
  readonly #idle: IdleTimer;
  /** Decoded frames not answered yet, oldest first from `#head`. */
  #pending: Buffer[] = [];
  #head = 0;
  /** The bad input that ends this connection once the frames before it are answered. */
  #malformed: ProtocolError | undefined;
  /** No more requests will be read: the peer sent FIN, or we are shutting down. */
  #inputDone = false;
  #closed = false;
  #yielded = false;
  /** Reading is paused by {@link #next} (backpressure). */
  #paused = false;
  #requests = 0;

  constructor(socket: Socket, log: Logger, options: SocketmapConnectionOptions) {
    this.#socket = socket;
    this.#log = log;
    this.#o = options;
    this.#decoder = new NetstringDecoder(options.maxRequestBytes);
    // While we paused reading (backpressure) the partial request is our delay, not the client's.
    this.#deadline = new RequestDeadline(options.requestTimeoutMs, () =>
      this.#socket.isPaused() ? this.#deadline.update(true) : this.#close('request not completed in time; closing connection', 'warn'));
    this.#idle = new IdleTimer(options.idleTimeoutMs, () => this.#close('idle timeout', 'debug'));
  }

  start(): void {
    const socket = this.#socket;
    // We end our side ourselves, after the last reply owed: a client may pipeline and FIN at once.
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#guarded(() => this.#read(chunk)));
    socket.on('drain', () => this.#guarded(() => this.#pump()));
    socket.on('end', () => this.#guarded(() => {
      if (!this.#decoder.idle && !this.#malformed) this.#log.warn({ requests: this.#requests }, 'connection closed in the middle of a request');
      this.#inputDone = true;
      this.#pump();
    }));
    socket.on('close', () => {
      this.#closed = true;
      this.#deadline.stop();
      this.#idle.stop();
      this.#pending = [];
    });
  }

  shutdown(): void {
    this.#inputDone = true;
    this.#guarded(() => this.#pump());
  }

  /** Runs `fn`; any bug in it costs this connection (logged), never the process. */
  #guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err, requests: this.#requests }, 'socketmap connection failed; closing it');
      this.#close();
    }
  }

  #read(chunk: Buffer): void {
    if (this.#closed || this.#inputDone || this.#malformed) return;
    try {
      // Frames completed before a bad byte land in #pending even when push throws.
      this.#decoder.push(chunk, this.#pending);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.#malformed = err;
    }
    this.#deadline.update(!this.#malformed && !this.#decoder.idle);
    this.#pump();
  }

  /** Answers one batch of pending frames, then decides what the socket does next. */
  #pump(): void {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed) return;
    this.#idle.touch();
    // Checked once per batch: a reload may change the level, never within one turn.
    const debug = this.#log.isLevelEnabled('debug');
    let answered = 0;
    while (this.#head < this.#pending.length && answered < REQUESTS_PER_TURN && !socket.writableNeedDrain) {
      answered++;
      if (!this.#answer(this.#pending[this.#head++]!, debug)) break; // #malformed is set: the rest is never answered
      if (replies.pendingBytes >= REPLY_BYTES_PER_TURN) this.#flush();
    }
    this.#flush();
    if (this.#head >= this.#pending.length || this.#malformed) {
      this.#pending = [];
      this.#head = 0;
    }
    this.#next();
  }

  /** After a batch: close, yield for the next batch, wait for 'drain', or read more. */
  #next(): void {
    const socket = this.#socket;
    const waiting = this.#pending.length - this.#head;
    if (waiting === 0 && this.#malformed) {
      const err = this.#malformed;
      this.#log.warn({ code: err.code, reason: err.message, requests: this.#requests }, 'malformed socketmap input; closing connection');
      this.#o.counters.protocolError('socketmap', err.code);
      return this.#close();
    }
    if (waiting === 0 && this.#inputDone) return this.#close();
    if (waiting > 0 && !socket.writableNeedDrain && !this.#yielded) {
      this.#yielded = true;
      setImmediate(() => {
        this.#yielded = false;
        this.#guarded(() => this.#pump());
      });
    }
    // Backpressure: read nothing more while the client has not taken our replies, or while
    // enough of its requests wait already. 'drain' or the next turn resumes.
    // Only we pause the socket, so only a pause of ours needs undoing (resume() costs a few calls).
    if (socket.writableNeedDrain || waiting > MAX_PENDING_REQUESTS) {
      socket.pause();
      this.#paused = true;
    } else if (this.#paused && !this.#inputDone) {
      socket.resume();
      this.#paused = false;
    }
  }

  /** Sends the replies framed since the last flush, as one write. */
  #flush(): void {
    replies.writeTo(this.#socket);
  }

  /**
   * Frames the reply to one request into the batch; false when the request is malformed. A
   * lookup that throws (a bug) answers TEMP for that request: Postfix defers, nothing bounces.
   */
  #answer(frame: Buffer, debug: boolean): boolean {
    this.#requests++;
    const mark = replies.pendingBytes;
    let written: WrittenReply;
    try {
      written = this.#o.answers.write(frame, replies);
    } catch (err) {
      replies.rewind(mark);
      if (err instanceof ProtocolError) return (this.#malformed = err), false;
      this.#log.error({ err, map: mapName(frame) }, 'lookup failed');
      replies.frame(INTERNAL_ERROR_FRAME);
      return true;
    }
    if (written === WrittenReply.Oversize) this.#log.warn({ map: mapName(frame) }, 'reply over the socketmap limit; answered TEMP');
    if (debug) {
      const { name, key } = parseSocketmapRequest(frame);
      this.#log.debug({ map: name, key, status: STATUS_WORDS[written] }, 'lookup');
    }
    return true;
  }

  #close(reason?: string, level: 'debug' | 'warn' = 'debug'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadline.stop();
    this.#idle.stop();
    this.#pending = [];
    if (reason) this.#log[level]({ requests: this.#requests }, reason);
    endGracefully(this.#socket);
    // Keep reading (and discarding) so the peer's FIN is seen and the socket closes at once.
    this.#socket.resume();
  }
}

/** The map name of a request that was answered (so it has one), for logs. */
function mapName(frame: Buffer): string {
  return frame.toString('latin1', 0, Math.max(0, frame.indexOf(0x20)));
}
