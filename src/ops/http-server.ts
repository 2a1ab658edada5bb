import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Endpoint } from '../config/formats.js';
import { bindServer } from '../servers/bind.js';
import type { DirectoryStore } from '../store/directory-store.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import type { HttpRoute } from './http-route.js';

/** What the operations endpoints report. */
export interface OpsSources {
  readonly store: DirectoryStore;
  readonly sync: SyncEngine;
  readonly registry: Registry;
  readonly logger: Logger;
  /** The provider's own status (detected features, last sync counts), when it reports one. */
  readonly provider?: () => unknown;
  /** Why the service is not ready beyond the store (a listener not bound), or undefined. */
  readonly notReady?: () => string | undefined;
  /** Mounted routes (SCIM, webhooks), tried before the built-in endpoints. */
  readonly routes?: readonly HttpRoute[];
  /** What /metrics serves instead of `registry` (a worker's: the sum over every worker). */
  readonly metrics?: () => Promise<string>;
  /** Extra `/status` sections. */
  readonly status?: () => Record<string, unknown>;
}

/**
 * The operations surface: `GET /healthz` (liveness: 200 while lookups are answered from a
 * complete directory, else 503 with the reason), `GET /readyz` (readiness: also every listener
 * bound), `GET /status` (JSON: store readiness, staleness, sync counters, the provider's
 * detected features) and `GET /metrics`
 * (Prometheus), plus the mounted routes (SCIM, webhooks). Bind it to loopback unless SCIM
 * clients must reach it.
 */
export class OpsHttpServer {
  readonly #src: OpsSources;
  #server: Server | undefined;

  constructor(sources: OpsSources) {
    this.#src = sources;
  }

  /** The bound TCP address. */
  get address(): Endpoint | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? { kind: 'tcp', host: a.address, port: a.port } : undefined;
  }

  /** Binds the endpoint. */
  async start(ep: Endpoint): Promise<void> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = this.#src.routes?.find((r) => r.matches(url.pathname));
      if (route) {
        route.handle(req, res, url).catch((err: unknown) => {
          this.#src.logger.error({ err, path: url.pathname }, 'http request failed');
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
        return;
      }
      this.#handle(req.method ?? 'GET', url.pathname).then(
        ({ status, type, body }) => res.writeHead(status, { 'content-type': type }).end(body),
        (err: unknown) => {
          this.#src.logger.error({ err }, 'ops request failed');
          res.writeHead(500).end();
        },
      );
    });
    await bindServer(server, ep, 'http.listen', this.#src.logger);
    this.#server = server;
    this.#src.logger.info({ proto: 'http', endpoint: this.address ?? ep }, 'listening');
  }

  async #handle(method: string, path: string): Promise<{ status: number; type: string; body: string }> {
    if (method !== 'GET') return { status: 405, type: 'text/plain', body: 'read-only\n' };
    const status = this.#src.store.status();
    switch (path) {
      case '/healthz':
        return status.ready
          ? { status: 200, type: 'text/plain', body: 'ok\n' }
          : { status: 503, type: 'text/plain', body: `${this.#src.store.unavailableReason()}\n` };
      case '/readyz': {
        const reason = status.ready ? this.#src.notReady?.() : this.#src.store.unavailableReason();
        return reason === undefined
          ? { status: 200, type: 'text/plain', body: 'ready\n' }
          : { status: 503, type: 'text/plain', body: `${reason}\n` };
      }
      case '/status':
        return { status: 200, type: 'application/json', body: `${JSON.stringify({ store: status, sync: this.#src.sync.stats, provider: this.#src.provider?.(), ...this.#src.status?.() })}
` };
      case '/metrics':
        return { status: 200, type: this.#src.registry.contentType, body: await (this.#src.metrics ? this.#src.metrics() : this.#src.registry.metrics()) };
      default:
        return { status: 404, type: 'text/plain', body: 'not found\n' };
    }
  }

  /** Stops listening. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
