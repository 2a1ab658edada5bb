import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { HttpRoute } from '../ops/http-route.js';
import { bearerToken, secretMatches } from '../ops/secret-check.js';
import { readJsonBody } from '../scim/scim-body.js';
import type { PushCounters } from '../scim/scim-counters.js';
import type { SyncEngine } from '../sync/sync-engine.js';

/** Options of {@link AuthentikHook}. */
export interface AuthentikHookOptions {
  readonly secret: string;
  readonly sync: SyncEngine;
  readonly counters: PushCounters;
  readonly logger: Logger;
}

const PATH = '/hooks/authentik';
/** A notification is a few hundred bytes; anything much larger is not one. */
const LIMITS = { maxBytes: 64 * 1024, maxDepth: 16 };

/**
 * `POST /hooks/authentik`: Authentik's notification webhook transport. Authentik signs nothing,
 * so the request must carry `hooks.authentik.secret` (header `X-Mailroster-Secret`,
 * `Authorization: Bearer`, or `?secret=` in the URL), compared in constant time. A model event
 * naming a user (`model: {app: "authentik_core", model_name: "user", pk}`, from a webhook body
 * mapping or the default body's text) re-reads that user; anything else runs an incremental sync.
 * The answer (202) does not wait for the re-read; repeats coalesce, and each re-read takes the
 * user's current state, so duplicate or out-of-order deliveries change nothing.
 */
export class AuthentikHook implements HttpRoute {
  readonly #o: AuthentikHookOptions;

  constructor(options: AuthentikHookOptions) {
    this.#o = options;
  }

  matches(path: string): boolean {
    return path === PATH;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const reply = (status: number, text: string, outcome: string) => {
      this.#o.counters.hook(outcome);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${text}\n`);
    };
    if (req.method !== 'POST') return reply(405, 'POST only', 'refused');
    const presented = header(req, 'x-mailroster-secret') ?? bearerToken(req.headers.authorization) ?? url.searchParams.get('secret') ?? undefined;
    if (!secretMatches(presented, this.#o.secret)) {
      this.#o.logger.warn({ peer: req.socket.remoteAddress }, 'authentik webhook refused: missing or wrong secret');
      req.resume();
      return reply(401, 'missing or wrong secret', 'unauthorized');
    }
    let body: unknown;
    try {
      body = await readJsonBody(req, LIMITS);
    } catch (err) {
      return reply(400, (err as Error).message, 'invalid');
    }
    const userPk = userOf(body);
    if (userPk !== undefined) {
      void this.#o.sync.refreshUser(userPk);
      this.#o.logger.info({ user: userPk }, 'authentik webhook: re-reading one user');
      return reply(202, `re-reading user ${userPk}`, 'user');
    }
    this.#o.sync.syncChanges();
    return reply(202, 'incremental sync queued', 'sync');
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The user pk a notification names, if it is a model event on a user. */
export function userOf(body: unknown): string | undefined {
  const b = asRecord(body);
  if (!b) return undefined;
  const event = asRecord(b.event);
  const model = asRecord(b.model) ?? asRecord(asRecord(b.context)?.model) ?? asRecord(asRecord(event?.context)?.model);
  if (model) {
    const pk = model.pk;
    const isUser = model.app === 'authentik_core' && model.model_name === 'user';
    return isUser && (typeof pk === 'number' || (typeof pk === 'string' && pk !== '')) ? String(pk) : undefined;
  }
  // The default body is text with the event context as a Python dict repr.
  const text = typeof b.body === 'string' ? b.body : '';
  const m = /'app':\s*'authentik_core',\s*'model_name':\s*'user',\s*'pk':\s*'?([\w-]+)'?/.exec(text);
  return m?.[1];
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
