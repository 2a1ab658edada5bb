import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault the fake answers with instead of the real route. */
export type Fault =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  /** Sends nothing, ever: the client's timeout must fire. */
  | { readonly hang: true }
  /** 200 with a body that is not JSON. */
  | { readonly garbage: true };

/** A request as the fake saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
  readonly body: string;
}

/** What a route answers: a status and a JSON-serialisable body. */
export interface RouteReply {
  readonly status: number;
  readonly body: unknown;
}

/**
 * Base of the fake identity providers: a node `http` server on 127.0.0.1 port 0 that records every
 * request and can be told to fail the next N requests matching a path pattern.
 */
export abstract class FakeIdpServer {
  readonly requests: SeenRequest[] = [];
  readonly #server: Server;
  readonly #faults: { match: RegExp; fault: Fault; times: number; when: ((req: SeenRequest) => boolean) | undefined }[] = [];
  #url = '';

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return this.#url;
  }

  /** Listens on a free loopback port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Closes the server and every open (hung) connection. */
  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Answers the next `times` requests whose path matches (and that `when` accepts) with `fault`. */
  fail(match: RegExp, fault: Fault, times = 1, when?: (req: SeenRequest) => boolean): void {
    this.#faults.push({ match, fault, times, when });
  }

  /** Whether faults set by {@link fail} are still waiting for requests. */
  hasPendingFaults(): boolean {
    return this.#faults.length > 0;
  }

  /** Requests whose path matches, in order. */
  seen(match: RegExp): SeenRequest[] {
    return this.requests.filter((r) => match.test(r.path));
  }

  /** The real answer for a request; undefined means 404. */
  protected abstract route(req: SeenRequest): RouteReply | undefined;

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization, body: Buffer.concat(chunks).toString() };
    this.requests.push(seen);
    const i = this.#faults.findIndex((f) => f.match.test(seen.path) && (f.when?.(seen) ?? true));
    if (i >= 0) {
      const f = this.#faults[i]!;
      if (--f.times <= 0) this.#faults.splice(i, 1);
      if ('hang' in f.fault) return;
      if ('garbage' in f.fault) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"pagination": {"next": 2, "resu');
      return void res.writeHead(f.fault.status, { 'content-type': 'application/json', ...f.fault.headers }).end(f.fault.body ?? '{"detail":"fault"}');
    }
    const reply = this.route(seen) ?? { status: 404, body: { detail: 'Not found.' } };
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
  }
}

/** Inserts into an array kept sorted by `key` (binary search), as the real servers order by username. */
export function insertSorted<T>(items: T[], item: T, key: (t: T) => string): void {
  let lo = 0;
  let hi = items.length;
  const k = key(item);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(items[mid]!) < k) lo = mid + 1;
    else hi = mid;
  }
  items.splice(lo, 0, item);
}
