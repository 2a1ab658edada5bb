import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { HttpRoute } from '../ops/http-route.js';
import { bearerToken, secretMatches } from '../ops/secret-check.js';
import { readJsonBody, type BodyLimits } from './scim-body.js';
import { ScimError } from './scim-error.js';
import type { PushCounters } from './scim-counters.js';
import type { ScimOperations } from './scim-operations.js';
import { renderResource, type Resource, type ResourceKind, type StoredMeta } from './scim-resources.js';
import { resourceTypes, schemaResources, serviceProviderConfig, URN } from './scim-schemas.js';

/** Options of {@link ScimRoute}. */
export interface ScimRouteOptions {
  readonly operations: ScimOperations;
  readonly token: string;
  readonly limits: BodyLimits;
  readonly maxResults: number;
  readonly counters: PushCounters;
  readonly logger: Logger;
}

const PREFIX = '/scim/v2';
const KINDS: Record<string, ResourceKind> = { Users: 'User', Groups: 'Group' };
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * `/scim/v2/*` on the operations listener: bearer token (constant-time), then Users and Groups
 * (POST, GET, PUT, PATCH, DELETE, list with filter and paging) and the discovery endpoints.
 * Every answer is application/scim+json; every failure a SCIM error body.
 */
export class ScimRoute implements HttpRoute {
  readonly #o: ScimRouteOptions;

  constructor(options: ScimRouteOptions) {
    this.#o = options;
  }

  matches(path: string): boolean {
    return path === PREFIX || path.startsWith(`${PREFIX}/`);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.slice(PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
    const operation = operationName(method, parts);
    let reply: Reply;
    try {
      if (!secretMatches(bearerToken(req.headers.authorization), this.#o.token)) {
        throw new ScimError(401, 'a valid bearer token (scim.token) is required', undefined, { 'www-authenticate': 'Bearer realm="mailroster"' });
      }
      reply = await this.#route(req, method, parts, url);
    } catch (err) {
      reply = this.#failure(err, operation);
      // Unread bodies are drained so the connection stays usable; oversized ones close it.
      if (reply.status === 413) res.setHeader('connection', 'close');
    }
    this.#o.counters.request(operation, reply.status);
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...(payload && { 'content-type': 'application/scim+json' }), ...reply.headers }).end(payload);
    if (reply.status === 413) req.destroy();
  }

  #failure(err: unknown, operation: string): Reply {
    if (err instanceof ScimError) {
      if (err.status >= 500) this.#o.logger.warn({ operation, status: err.status, detail: err.message }, 'scim request not applied');
      return { status: err.status, body: err.body(), headers: { ...err.headers } };
    }
    this.#o.logger.error({ err, operation }, 'scim request failed');
    return { status: 500, body: new ScimError(500, 'internal error; nothing was written').body() };
  }

  async #route(req: IncomingMessage, method: string, parts: string[], url: URL): Promise<Reply> {
    const base = baseUrl(req);
    const [collection, id, ...rest] = parts;
    const kind = collection === undefined ? undefined : KINDS[collection];
    const ops = this.#o.operations;
    if (kind && rest.length === 0) {
      const q = Object.fromEntries(url.searchParams);
      const ifMatch = req.headers['if-match'];
      if (id === undefined) {
        if (method === 'GET') return { status: 200, body: await ops.list(kind, q, base) };
        if (method === 'POST') return resourceReply(201, await ops.create(kind, await this.#body(req)), base, true);
      } else {
        switch (method) {
          case 'GET': return resourceReply(200, await ops.get(kind, id), base);
          case 'PUT': return resourceReply(200, await ops.replace(kind, id, await this.#body(req), ifMatch), base);
          case 'PATCH': return resourceReply(200, await ops.patch(kind, id, await this.#body(req), ifMatch), base);
          case 'DELETE': return (await ops.delete(kind, id, ifMatch), { status: 204 });
        }
      }
      throw new ScimError(405, `${method} is not supported on ${url.pathname}`);
    }
    if (method !== 'GET') throw new ScimError(collection === 'Bulk' ? 501 : 404, `${method} ${url.pathname} is not supported`);
    switch (collection) {
      case 'ServiceProviderConfig': return { status: 200, body: serviceProviderConfig(base, this.#o.maxResults) };
      case 'Schemas': return discovery(schemaResources(base), id, (r) => r.id as string);
      case 'ResourceTypes': return discovery(resourceTypes(base), id, (r) => r.id as string);
      default: throw new ScimError(404, `${url.pathname} is not a SCIM endpoint`);
    }
  }

  #body(req: IncomingMessage): Promise<unknown> {
    return readJsonBody(req, this.#o.limits);
  }
}

/** The metrics label of a request: `create_user`, `patch_group`, `list_users`, `discovery`... */
function operationName(method: string, parts: string[]): string {
  const kind = KINDS[parts[0] ?? ''];
  if (!kind) return 'discovery';
  const noun = kind.toLowerCase();
  if (parts.length === 1) return method === 'POST' ? `create_${noun}` : `list_${noun}s`;
  const verb: Record<string, string> = { GET: 'get', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' };
  return `${verb[method] ?? 'other'}_${noun}`;
}

function resourceReply(status: number, stored: Resource, base: string, created = false): Reply {
  const body = renderResource(stored, base);
  const meta = body.meta as StoredMeta & { location: string };
  return { status, body, headers: { etag: meta.version, ...(created && { location: meta.location }) } };
}

function discovery(all: Record<string, unknown>[], id: string | undefined, idOf: (r: Record<string, unknown>) => string): Reply {
  if (id === undefined) return { status: 200, body: { schemas: [URN.list], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all } };
  const one = all.find((r) => idOf(r) === id);
  if (!one) throw new ScimError(404, `${id} not found`);
  return { status: 200, body: one };
}

/** The SCIM base URL as the client addressed us (for meta.location). */
function baseUrl(req: IncomingMessage): string {
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host ?? '') ? req.headers.host : 'localhost';
  return `${proto}://${host}${PREFIX}`;
}
