import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { NetstringDecoder } from '../../protocol/netstring.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { parseSocketmapRequest } from '../../protocol/socketmap.js';
import type { SocketmapAnswers } from '../lookup/socketmap-lookup.js';
import type { LookupCounters } from '../ops/lookup-counters.js';
import { endGracefully, REPLY_BYTES_PER_TURN, RequestDeadline, REQUESTS_PER_TURN, type ServedConnection } from './connection-guard.js';
import { INTERNAL_ERROR_FRAME, OVERSIZE_FRAME } from './replies.js';

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
  /** Decoded frames not answered yet, oldest first from `#head`. */
  #pending: Buffer[] = [];
  #head = 0;
  /** The bad input that ends this connection once the frames before it are answered. */
  #malformed: ProtocolError | undefined;
  /** No more requests will be read: the peer sent FIN, or we are shutting down. */
  #inputDone = false;
  #closed = false;
  #yielded = false;
  #requests = 0;

  constructor(socket: Socket, log: Logger, options: SocketmapConnectionOptions) {
    this.#socket = socket;
    this.#log = log;
    this.#o = options;
    this.#decoder = new NetstringDecoder(options.maxRequestBytes);
    // While we paused reading (backpressure) the partial request is our delay, not the client's.
    this.#deadline = new RequestDeadline(options.requestTimeoutMs, () =>
      this.#socket.isPaused() ? this.#deadline.update(true) : this.#close('request not completed in time; closing connection', 'warn'));
  }

  start(): void {
    const socket = this.#socket;
    // We end our side ourselves, after the last reply owed: a client may pipeline and FIN at once.
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    socket.setTimeout(this.#o.idleTimeoutMs, () => this.#close('idle timeout', 'debug'));
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
    let batch: Buffer[] = [];
    let bytes = 0;
    let answered = 0;
    while (this.#head < this.#pending.length && answered < REQUESTS_PER_TURN && !socket.writableNeedDrain) {
      const frame = this.#pending[this.#head++]!;
      answered++;
      const reply = this.#answer(frame);
      if (reply === undefined) break; // #malformed is set: the rest is never answered
      batch.push(reply);
      bytes += reply.length;
      if (bytes >= REPLY_BYTES_PER_TURN) {
        this.#write(batch);
        batch = [];
        bytes = 0;
      }
    }
    this.#write(batch);
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
    if (socket.writableNeedDrain || waiting > MAX_PENDING_REQUESTS) socket.pause();
    else if (!this.#inputDone) socket.resume();
  }

  #write(replies: Buffer[]): void {
    if (replies.length === 0) return;
    this.#socket.write(replies.length === 1 ? replies[0]! : Buffer.concat(replies));
  }

  /** The framed reply to one request, or undefined when the request is malformed. */
  #answer(frame: Buffer): Buffer | undefined {
    this.#requests++;
    let request;
    try {
      request = parseSocketmapRequest(frame);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.#malformed = err;
      return undefined;
    }
    return this.#lookup(request.name, request.key);
  }

  /**
   * The reply frame: a snapshot's prebuilt bytes or one encoding of the answer, never a second
   * pass. A lookup that throws (a bug) answers TEMP for that request: Postfix defers, nothing bounces.
   */
  #lookup(name: string, key: string): Buffer {
    try {
      const frame = this.#o.answers.frame(name, key);
      if (frame === OVERSIZE_FRAME) this.#log.warn({ map: name }, 'reply over the socketmap limit; answered TEMP');
      if (this.#log.isLevelEnabled('debug')) this.#log.debug({ map: name, key, status: frameStatus(frame) }, 'lookup');
      return frame;
    } catch (err) {
      this.#log.error({ err, map: name }, 'lookup failed');
      return INTERNAL_ERROR_FRAME;
    }
  }

  #close(reason?: string, level: 'debug' | 'warn' = 'debug'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadline.stop();
    this.#pending = [];
    if (reason) this.#log[level]({ requests: this.#requests }, reason);
    endGracefully(this.#socket);
    // Keep reading (and discarding) so the peer's FIN is seen and the socket closes at once.
    this.#socket.resume();
  }
}

/** The status word of a framed reply (`<len>:OK ...,`), for debug logs. */
function frameStatus(frame: Buffer): string {
  const from = frame.indexOf(0x3a) + 1;
  const space = frame.indexOf(0x20, from);
  return frame.toString('latin1', from, space < 0 ? frame.length - 1 : space);
}
