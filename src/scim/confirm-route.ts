import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { HttpRoute } from '../ops/http-route.js';
import { bearerToken, secretMatches } from '../ops/secret-check.js';
import type { ScimOperations } from './scim-operations.js';

/** Where `mailroster sync --confirm-deletions` asks the running server to release held removals. */
export const CONFIRM_PATH = '/admin/scim/confirm-deletions';

/**
 * `POST /admin/scim/confirm-deletions` (bearer scim.token): applies every pushed removal the
 * deletion guard holds and opens a new window; answers `{"applied": n}`. `GET` tells how many
 * are held.
 */
export class ConfirmDeletionsRoute implements HttpRoute {
  readonly #ops: ScimOperations;
  readonly #token: string;
  readonly #logger: Logger;

  constructor(ops: ScimOperations, token: string, logger: Logger) {
    this.#ops = ops;
    this.#token = token;
    this.#logger = logger;
  }

  matches(path: string): boolean {
    return path === CONFIRM_PATH;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    if (!secretMatches(bearerToken(req.headers.authorization), this.#token)) return json(401, { error: 'a valid bearer token (scim.token) is required' });
    if (req.method === 'GET') return json(200, { pending: this.#ops.pendingDeletions() });
    if (req.method !== 'POST') return json(405, { error: 'GET or POST' });
    try {
      const applied = await this.#ops.confirmDeletions();
      this.#logger.warn({ applied }, 'held SCIM removals confirmed by the operator');
      json(200, { applied });
    } catch (err) {
      json(503, { error: (err as Error).message });
    }
  }
}
