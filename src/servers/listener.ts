import { createServer, type Server, type Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { formatEndpoint, type Endpoint } from '../config/formats.js';
import { EXIT, StartupError } from '../errors.js';
import { bindServer } from './bind.js';
import type { ServedConnection } from './connection-guard.js';
import { applySocketPermissions, removeStaleSocket, type SocketPermissions } from './socket-file.js';

/** Serves one accepted connection; `log` is already bound to the connection. */
export type ConnectionHandler = (socket: Socket, log: Logger) => ServedConnection | void;

/** Refused connections are logged at most this often, with how many there were meanwhile. */
const REFUSAL_LOG_INTERVAL_MS = 1000;

/** Options of a {@link Listener}. */
export interface ListenerOptions {
  /** Protocol name for logs (`socketmap`, `dict`). */
  readonly proto: string;
  readonly endpoints: readonly Endpoint[];
  readonly permissions: SocketPermissions;
  readonly maxConnections: number;
  readonly logger: Logger;
  readonly handler: ConnectionHandler;
  /**
   * False in a worker of several: node:cluster binds in the primary, whose socket file answers
   * for every worker, so a worker neither replaces it at start nor removes it at close (the
   * primary does both). Default true.
   */
  readonly ownsSocketFiles?: boolean;
}

let nextConnectionId = 1;

/**
 * Binds every endpoint of one protocol, keeps the set of open connections, and closes gracefully:
 * stop accepting, let connections finish, destroy what is left after the grace period.
 */
export class Listener {
  readonly #o: ListenerOptions;
  readonly #servers: Server[] = [];
  readonly #connections = new Map<Socket, ServedConnection | undefined>();
  readonly #boundPaths: string[] = [];
  #maxConnections: number;
  #refused = 0;
  #refusalLoggedAt = 0;

  constructor(options: ListenerOptions) {
    this.#o = options;
    this.#maxConnections = options.maxConnections;
  }

  /** The limit on open connections across all endpoints (changed live by a reload). */
  get maxConnections(): number {
    return this.#maxConnections;
  }

  set maxConnections(limit: number) {
    this.#maxConnections = limit;
  }

  /** The bound addresses (a TCP port 0 becomes the real port). */
  get addresses(): Endpoint[] {
    return this.#servers.map((s, i) => addressOf(s, this.#o.endpoints[i]!));
  }

  /** Open connections right now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Binds all endpoints; rejects (and unbinds what was bound) if any fails. */
  async start(): Promise<void> {
    try {
      for (const ep of this.#o.endpoints) this.#servers.push(await this.#bind(ep));
    } catch (err) {
      await this.close(0);
      throw err;
    }
  }

  async #bind(ep: Endpoint): Promise<Server> {
    const server = createServer((socket) => this.#accept(socket, ep));
    const key = `${this.#o.proto}.listen`;
    const owned = this.#o.ownsSocketFiles !== false;
    if (ep.kind === 'unix' && owned) {
      await removeStaleSocket(ep.path).catch((err: Error) => {
        throw new StartupError(`${key}: ${err.message}`, EXIT.CANTCREAT, { cause: err });
      });
    }
    await bindServer(server, ep, key, this.#o.logger, parseInt(this.#o.permissions.mode, 8));
    server.on('error', (err) => this.#o.logger.error({ err, proto: this.#o.proto }, 'listener error'));
    if (ep.kind === 'unix') {
      if (owned) this.#boundPaths.push(ep.path);
      await applySocketPermissions(ep.path, this.#o.permissions).catch((err: Error) => {
        throw new StartupError(`${this.#o.proto}.socketOwner/socketGroup: ${ep.path}: ${err.message}`, EXIT.NOPERM, { cause: err });
      });
    }
    this.#o.logger.info({ proto: this.#o.proto, endpoint: formatEndpoint(addressOf(server, ep)) }, 'listening');
    return server;
  }

  #accept(socket: Socket, ep: Endpoint): void {
    const peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : `unix:${formatEndpoint(ep)}`;
    // The limit counts every endpoint of this protocol together (node's server.maxConnections
    // would count each endpoint on its own).
    if (this.#connections.size >= this.#maxConnections) return this.#refuse(socket, peer);
    const log = this.#o.logger.child({ proto: this.#o.proto, cid: nextConnectionId++, peer });
    this.#connections.set(socket, undefined);
    socket.once('close', () => this.#connections.delete(socket));
    // A reset by the peer is routine (Postfix and Dovecot drop connections freely).
    socket.on('error', (err) => log.debug({ err }, 'connection error'));
    try {
      this.#connections.set(socket, this.#o.handler(socket, log) ?? undefined);
    } catch (err) {
      log.error({ err }, 'connection setup failed; closing it');
      socket.destroy();
    }
  }

  /** Closes a connection over the limit at once; logs the first and then a count per second. */
  #refuse(socket: Socket, peer: string): void {
    socket.on('error', () => undefined);
    socket.destroy();
    this.#refused++;
    const now = Date.now();
    if (now - this.#refusalLoggedAt < REFUSAL_LOG_INTERVAL_MS) return;
    this.#o.logger.warn({ proto: this.#o.proto, peer, limit: this.#maxConnections, refused: this.#refused }, 'connection limit reached; connection refused');
    this.#refusalLoggedAt = now;
    this.#refused = 0;
  }

  /**
   * Stops accepting; each open connection answers what it has received and closes; whatever is
   * still open after `graceMs` is destroyed.
   */
  async close(graceMs = 2000): Promise<void> {
    const closing = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const [socket, served] of this.#connections) {
      if (served) served.shutdown();
      else socket.end();
    }
    const force = setTimeout(() => {
      for (const socket of this.#connections.keys()) socket.destroy();
    }, graceMs);
    force.unref();
    await Promise.all(closing);
    clearTimeout(force);
    // Only the socket files we bound: another server's file must survive our failed start.
    for (const path of this.#boundPaths.splice(0)) await unlink(path).catch(() => undefined);
    this.#servers.length = 0;
  }
}

/** Where `server` listens: its TCP address (a port 0 resolved), or the configured endpoint. */
function addressOf(server: Server, ep: Endpoint): Endpoint {
  const a = server.address();
  return typeof a === 'object' && a !== null ? { kind: 'tcp', host: a.address, port: a.port } : ep;
}
