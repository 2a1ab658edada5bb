import { HttpClient } from './http-client.js';
import { asObject, idString, type IdpOptions } from './idp-options.js';
import type { Page } from './paging.js';
import { ProviderError } from './provider-error.js';

/** A JSON object from the API. */
export type Json = Record<string, unknown>;

/** Authentik answers at most this many items per page since 2025.12 (and 100 is its old default). */
export const AUTHENTIK_MAX_PAGE = 100;

export const USERS = 'api/v3/core/users/';
export const GROUPS = 'api/v3/core/groups/';

/** Permission each API area needs, for 403 messages. */
function permissionFor(path: string): string {
  const perm = path.includes('groups') ? 'authentik_core.view_group'
    : path.includes('admin/settings') ? 'authentik_rbac.view_system_settings'
      : path.includes('flows') ? 'authentik_flows.view_flow'
        : path.includes('tokens') ? 'authentik_core.view_token' : 'authentik_core.view_user';
  return `the API token's user needs ${perm} (a role with the global permission, or superuser); check provider.authentik.token`;
}

/**
 * The HTTP side of Authentik's API v3: bearer-token requests, the `{pagination, results}`
 * envelope, and failures told apart. Authentik answers 403 `Token invalid/expired` for a token
 * that expired, was deleted or is not of intent `api` (DRF without an authenticate header never
 * says 401), which is reported as such rather than as a missing permission.
 */
export class AuthentikApi {
  readonly http: HttpClient;
  /** Page size actually asked for: the configured one, at most AUTHENTIK_MAX_PAGE. */
  readonly pageSize: number;

  constructor(options: IdpOptions & { readonly url: string; readonly token: string }) {
    this.pageSize = Math.min(options.pageSize, AUTHENTIK_MAX_PAGE);
    this.http = new HttpClient({
      provider: 'authentik', baseUrl: options.url, timeoutMs: options.timeoutMs, retries: options.retries, caFile: options.caFile,
      authorization: async () => `Bearer ${options.token}`,
      permissionFor,
      ...(options.logger && { logger: options.logger }),
      ...(options.retryBaseMs !== undefined && { retryBaseMs: options.retryBaseMs }),
    });
  }

  /** GETs one JSON object; a dead token becomes a PROVIDER_AUTH error that says so. */
  async get(path: string, query: Record<string, string | number | boolean>, signal: AbortSignal): Promise<Json | undefined> {
    try {
      return asObject(await this.http.getJson(path, query, signal));
    } catch (err) {
      throw tokenError(err);
    }
  }

  /** One page of a listing: `{pagination: {next, count}, results: [...]}`; next 0 ends it. */
  async page(path: string, index: number, query: Record<string, string | boolean>, signal: AbortSignal, size = this.pageSize): Promise<Page<Json>> {
    const body = await this.get(path, { ...query, page: index + 1, page_size: size }, signal);
    const pagination = asObject(body?.pagination);
    const results = body?.results;
    const bad = (why: string): never => { throw new ProviderError('PROVIDER_BAD_RESPONSE', `authentik: GET /${path} page ${index + 1}: ${why}`); };
    if (!pagination || !Array.isArray(results)) return bad('expected {pagination, results}');
    if (typeof pagination.next !== 'number') return bad('pagination.next is not a number');
    for (const r of results) if (!asObject(r) || idString((r as Json).pk) === undefined) bad('a result has no pk');
    return { items: results as Json[], more: pagination.next !== 0, ...(typeof pagination.count === 'number' && { total: pagination.count }) };
  }

  /** Every item of a small listing (groups, flows). */
  async all(path: string, query: Record<string, string | boolean>, signal: AbortSignal): Promise<Json[]> {
    const out: Json[] = [];
    for (let i = 0; ; i++) {
      const page = await this.page(path, i, query, signal);
      out.push(...page.items);
      if (!page.more) return out;
    }
  }

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.http.close();
  }
}

/** Turns Authentik's `Token invalid/expired` 403 into a message naming the likely cause. */
function tokenError(err: unknown): unknown {
  if (!(err instanceof ProviderError) || err.status !== 403 || !/token invalid\/expired/i.test(err.message)) return err;
  return new ProviderError('PROVIDER_AUTH',
    'authentik: the API token is invalid or expired (403 "Token invalid/expired"). Tokens made in the admin UI expire after one day unless "Expiring" is unticked; '
    + 'the token must have intent API (a service account\'s app password cannot call the API); its user must be active. Make a new non-expiring API token and update provider.authentik.token',
    { cause: err, status: 403 });
}
