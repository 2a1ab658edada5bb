import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { parseAuthRequestPath } from '../../protocol/auth-request.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { runSliced } from '../directory/build-steps.js';
import { formatEndpoint, type Endpoint } from '../config/formats.js';
import type { AuthLookup } from '../lookup/auth-lookup.js';
import { secretMatcher } from '../ops/secret-check.js';
import { bindServer } from './bind.js';
import { AUTH_INTERNAL_ERROR_REPLY, authFailure, toAuthHttpReply, usersReplySteps, type AuthHttpReply } from './replies.js';

/** Where answered requests and refusals are counted (the ops counters, when wired). */
export interface AuthCounters {
  lookup(proto: string, map: string, result: string): void;
  protocolError(proto: string, code: string): void;
}

/** Options of {@link AuthHttpServer}. */
export interface AuthHttpOptions {
  readonly lookup: AuthLookup;
  /** The shared secret; requests carry it as `Authorization: Bearer <secret>`. */
  readonly secret: string;
  readonly maxHeaderBytes: number;
  readonly maxConnections: number;
  readonly logger: Logger;
  readonly counters?: AuthCounters;
}

/**
 * Dovecot's Lua HTTP client keeps a connection up to max_idle_time (the script sets 30 s); we keep
 * it longer, so the client, not we, closes an idle one and no request meets a closing socket.
 */
const KEEP_ALIVE_MS = 65_000;
/** A request head must arrive within this; slow clients cannot hold connections open. */
const HEAD_TIMEOUT_MS = 10_000;

let nextConnectionId = 1;

/**
 * The HTTP endpoint Dovecot 2.4's Lua passdb/userdb call (protocol/auth-request.ts paths, replies
 * in protocol/auth-reply.ts format). Its own listener: it hands out password hashes, so it never
 * shares a port with /metrics. Every request must carry the secret; nothing but GET is read.
 */
export class AuthHttpServer {
  readonly #o: AuthHttpOptions;
  /** Checks the whole Authorization header, `Bearer <secret>` exactly, in constant time. */
  readonly #authorized: (header: string | undefined) => boolean;
  readonly #logs = new WeakMap<Socket, Logger>();
  #server: Server | undefined;

  constructor(options: AuthHttpOptions) {
    this.#o = options;
    this.#authorized = secretMatcher(`Bearer ${options.secret}`);
  }

  /** The bound TCP address. */
  get address(): Endpoint | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? { kind: 'tcp', host: a.address, port: a.port } : undefined;
  }

  /** Binds the endpoint. */
  async start(ep: Endpoint): Promise<void> {
    const server = createServer({ maxHeaderSize: this.#o.maxHeaderBytes, keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: HEAD_TIMEOUT_MS, requestTimeout: HEAD_TIMEOUT_MS }, (req, res) => this.#handle(req, res));
    server.maxConnections = this.#o.maxConnections;
    server.on('connection', (socket: Socket) => {
      const log = this.#o.logger.child({ proto: 'auth', cid: nextConnectionId++, peer: `${socket.remoteAddress}:${socket.remotePort}` });
      this.#logs.set(socket, log);
      socket.on('error', (err) => log.debug({ err }, 'connection error'));
    });
    server.on('drop', (d) => this.#o.logger.warn({ proto: 'auth', peer: d?.remoteAddress, limit: this.#o.maxConnections }, 'connection limit reached; connection refused'));
    // Unparsable input and an oversize head end up here; Node has not buffered more than the cap.
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#clientError(err, socket));
    await bindServer(server, ep, 'auth.listen', this.#o.logger);
    server.on('error', (err) => this.#o.logger.error({ err, proto: 'auth' }, 'listener error'));
    this.#server = server;
    this.#o.logger.info({ proto: 'auth', endpoint: formatEndpoint(this.address ?? ep) }, 'listening');
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const log = this.#logs.get(req.socket) ?? this.#o.logger;
    const reply = this.#reply(req, log);
    if (reply instanceof Promise) reply.then((r) => this.#send(req, res, r)).catch((err: unknown) => log.error({ err }, 'auth reply failed'));
    else this.#send(req, res, reply);
  }

  #send(req: IncomingMessage, res: ServerResponse, reply: AuthHttpReply): void {
    // A request body is never read: close the connection rather than leave it unread in the stream.
    const close = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const parts = typeof reply.body === 'string' ? [reply.body] : reply.body;
    res.writeHead(reply.status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': parts.reduce((n, p) => n + Buffer.byteLength(p), 0),
      'cache-control': 'no-store',
      ...(close && { connection: 'close' }),
    });
    for (const p of parts.slice(0, -1)) res.write(p);
    res.end(parts.at(-1));
  }

  /** The reply; a user iteration's comes later (made in slices, lookups answered meanwhile). */
  #reply(req: IncomingMessage, log: Logger): AuthHttpReply | Promise<AuthHttpReply> {
    if (!this.#authorized(req.headers.authorization)) {
      // Neither the presented value nor the path: an unauthenticated peer learns and leaves nothing.
      log.warn({ hasSecret: req.headers.authorization !== undefined }, 'auth request without the right secret; refused');
      this.#o.counters?.protocolError('auth', 'DENIED');
      return authFailure(401, 'DENIED', 'missing or wrong secret');
    }
    if (req.method !== 'GET') return authFailure(405, 'BAD_REQUEST', 'only GET is served');
    if (hasBody(req)) return authFailure(413, 'BAD_REQUEST', 'requests carry no body');
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0]!;
    try {
      const request = parseAuthRequestPath(path);
      if (!request) return authFailure(404, 'BAD_REQUEST', 'no such path; expected /v1/passdb/<name>, /v1/userdb/<name> or /v1/users');
      if (request.kind === 'users') return this.#users(log);
      const answer = this.#o.lookup.answer(request);
      this.#o.counters?.lookup('auth', request.kind, answer.kind);
      // The name and the outcome only: a passdb answer holds password hashes.
      if (log.isLevelEnabled('debug')) log.debug({ kind: request.kind, name: request.name, result: answer.kind }, 'auth lookup');
      return toAuthHttpReply(answer);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.#o.counters?.protocolError('auth', err.code);
        return authFailure(400, 'BAD_REQUEST', err.message);
      }
      log.error({ err }, 'auth lookup failed');
      return AUTH_INTERNAL_ERROR_REPLY;
    }
  }

  async #users(log: Logger): Promise<AuthHttpReply> {
    try {
      const answer = await runSliced(this.#o.lookup.usersSteps());
      this.#o.counters?.lookup('auth', 'users', answer.kind);
      if (log.isLevelEnabled('debug')) log.debug({ kind: 'users', result: answer.kind }, 'auth lookup');
      return answer.kind === 'users' ? await runSliced(usersReplySteps(answer.users)) : toAuthHttpReply(answer);
    } catch (err) {
      log.error({ err }, 'auth lookup failed');
      return AUTH_INTERNAL_ERROR_REPLY;
    }
  }

  #clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const log = this.#logs.get(socket) ?? this.#o.logger;
    this.#o.counters?.protocolError('auth', err.code ?? 'CLIENT_ERROR');
    log.warn({ code: err.code, reason: err.message }, 'malformed auth request; closing connection');
    if (!socket.writable) return void socket.destroy();
    const reply = err.code === 'HPE_HEADER_OVERFLOW'
      ? authFailure(431, 'BAD_REQUEST', 'request head too large')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? authFailure(408, 'BAD_REQUEST', 'request too slow') : authFailure(400, 'BAD_REQUEST', 'malformed HTTP request');
    socket.end(`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status]}\r\n`
      + `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(reply.body)}\r\nconnection: close\r\n\r\n${reply.body}`);
  }

  /** Stops listening and drops open connections (Dovecot reconnects on its next lookup). */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
  }
}

/** A request announces a body by Content-Length (other than 0) or Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
