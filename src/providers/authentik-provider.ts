import type { DirectoryData } from '../directory/directory-data.js';
import type { ChangeTracker } from './change-tracker.js';
import { runFullSync } from './full-sync.js';
import { GroupTree, type ProviderGroup } from './group-tree.js';
import { HttpClient } from './http-client.js';
import { asObject, idString, type IdpOptions } from './idp-options.js';
import type { Page } from './paging.js';
import { ProviderError } from './provider-error.js';
import type { ProviderUser } from './provider-mapping.js';
import type { DirectoryChange, DirectoryProvider } from './provider.js';

type Json = Record<string, unknown>;

/** Authentik settings: base URL and API token (already read from provider.authentik.tokenFile). */
export interface AuthentikOptions extends IdpOptions {
  readonly url: string;
  readonly token: string;
}

const USERS = 'api/v3/core/users/';
const GROUPS = 'api/v3/core/groups/';
/** User types that never get mail: Authentik's `type` is internal|external|service_account|internal_service_account. */
const MAIL_TYPES = new Set(['internal', undefined]);

/**
 * Authentik (API v3) behind the provider interface: users paged from /core/users/ (without the
 * expensive group expansion, goauthentik/authentik#3884), groups with member pks from
 * /core/groups/, and `last_updated__gt` polling for incremental changes.
 */
export class AuthentikProvider implements DirectoryProvider {
  readonly name = 'authentik';
  readonly strict = false;
  readonly #o: AuthentikOptions;
  readonly #http: HttpClient;
  #tracker: ChangeTracker | undefined;

  constructor(options: AuthentikOptions) {
    this.#o = options;
    this.#http = new HttpClient({
      provider: 'authentik', baseUrl: options.url, timeoutMs: options.timeoutMs, retries: options.retries, caFile: options.caFile,
      authorization: async () => `Bearer ${options.token}`,
      permissionFor: (path) => `the API token's user needs ${path.includes('groups') ? 'authentik_core.view_group' : 'authentik_core.view_user'} (a role with "Can view user"/"Can view group", or superuser); check provider.authentik.token`,
      ...(options.logger && { logger: options.logger }),
      ...(options.retryBaseMs !== undefined && { retryBaseMs: options.retryBaseMs }),
    });
  }

  /** Reads every group, then every user page by page; rejects on any failed page. */
  async fetchDirectory(signal: AbortSignal): Promise<DirectoryData> {
    const result = await runFullSync({
      name: this.name, mapping: this.#o.mapping, logger: this.#o.logger,
      groups: async () => new GroupTree(await this.#groups(signal)),
      users: { page: (i, s) => this.#usersPage(i, s) },
      idOf: (raw) => idString(raw.pk)!,
      toUser: (raw) => (MAIL_TYPES.has(raw.type as string | undefined) ? toUser(raw) : undefined),
    }, signal);
    this.#tracker = result.tracker;
    return result.data;
  }

  /**
   * Users changed since `cursor` (Authentik's own `last_updated` of the newest user seen, so
   * clocks never mix). Without a cursor it only finds that starting point. Deletions and group
   * changes do not bump `last_updated`; the periodic full sync reconciles them.
   */
  async fetchChanges(cursor: string | undefined, signal: AbortSignal): Promise<{ changes: DirectoryChange[]; cursor: string }> {
    if (cursor === undefined) {
      const newest = await this.#page(USERS, 0, { ordering: '-last_updated', include_groups: false, include_roles: false }, signal, 1);
      return { changes: [], cursor: String(newest.items[0]?.last_updated ?? new Date(0).toISOString()) };
    }
    // Changes are relative to a full sync this process made; until then the cursor waits.
    if (this.#tracker === undefined) return { changes: [], cursor };
    const changes: DirectoryChange[] = [];
    let next = cursor;
    const query = { last_updated__gt: cursor, ordering: 'last_updated', include_groups: true, include_roles: false };
    for (let i = 0; ; i++) {
      const page = await this.#page(USERS, i, query, signal);
      for (const raw of page.items) {
        const id = idString(raw.pk)!;
        const user = MAIL_TYPES.has(raw.type as string | undefined) ? toUser(raw) : undefined;
        changes.push(this.#tracker.user(id, user, groupIdsOf(raw)));
        if (typeof raw.last_updated === 'string' && raw.last_updated > next) next = raw.last_updated;
      }
      if (!page.more) break;
    }
    if (changes.length > 0) changes.push(...this.#tracker.listChanges());
    return { changes, cursor: next };
  }

  /** Closes the HTTP connection pool. */
  async close(): Promise<void> {
    await this.#http.close();
  }

  /**
   * A page of the full user listing. Authentik answers 404 "Invalid page" past the last page, so
   * a 404 after page 1 means users were deleted mid-sync: total -1 makes collectAll read again.
   */
  async #usersPage(index: number, signal: AbortSignal): Promise<Page<Json>> {
    try {
      return await this.#page(USERS, index, { include_groups: false, include_roles: false }, signal);
    } catch (err) {
      if (index > 0 && err instanceof ProviderError && err.status === 404) return { items: [], more: false, total: -1 };
      throw err;
    }
  }

  async #groups(signal: AbortSignal): Promise<ProviderGroup[]> {
    const groups: ProviderGroup[] = [];
    for (let i = 0; ; i++) {
      // include_users=false drops the expanded users_obj; the `users` pk list stays.
      const page = await this.#page(GROUPS, i, { include_users: false, include_children: false }, signal);
      for (const raw of page.items) groups.push(toGroup(raw));
      if (!page.more) return groups;
    }
  }

  /** One page of an Authentik listing: `{pagination: {next, count}, results: [...]}`; next 0 ends it. */
  async #page(path: string, index: number, query: Record<string, string | boolean>, signal: AbortSignal, size = this.#o.pageSize): Promise<Page<Json>> {
    const body = asObject(await this.#http.getJson(path, { ...query, page: index + 1, page_size: size }, signal));
    const pagination = asObject(body?.pagination);
    const results = body?.results;
    const bad = (why: string): never => { throw new ProviderError('PROVIDER_BAD_RESPONSE', `authentik: GET /${path} page ${index + 1}: ${why}`); };
    if (!pagination || !Array.isArray(results)) return bad('expected {pagination, results}');
    if (typeof pagination.next !== 'number') return bad('pagination.next is not a number');
    for (const r of results) if (!asObject(r) || idString((r as Json).pk) === undefined) bad('a result has no pk');
    return { items: results as Json[], more: pagination.next !== 0, ...(typeof pagination.count === 'number' && { total: pagination.count }) };
  }
}

function toUser(raw: Json): ProviderUser {
  return {
    id: idString(raw.pk)!,
    ...(typeof raw.email === 'string' && raw.email !== '' && { email: raw.email }),
    active: raw.is_active !== false,
    attributes: asObject(raw.attributes) ?? {},
  };
}

/** Authentik before 2025.x has one `parent`; later versions a `parents` list. */
function toGroup(raw: Json): ProviderGroup {
  const parents = Array.isArray(raw.parents) ? raw.parents : raw.parent ? [raw.parent] : [];
  const members = Array.isArray(raw.users) ? raw.users : Array.isArray(raw.users_obj) ? raw.users_obj.map((u) => asObject(u)?.pk) : undefined;
  // Without a member list every mailboxGroup member would silently lose her mailbox: refuse.
  if (members === undefined) throw new ProviderError('PROVIDER_BAD_RESPONSE', `authentik: group ${String(raw.name)} carries neither users nor users_obj`);
  return {
    id: idString(raw.pk)!,
    name: typeof raw.name === 'string' ? raw.name : '',
    parentIds: parents.map(idString).filter((p): p is string => p !== undefined),
    attributes: asObject(raw.attributes) ?? {},
    memberIds: members.map(idString).filter((m): m is string => m !== undefined),
  };
}

function groupIdsOf(raw: Json): string[] | undefined {
  if (Array.isArray(raw.groups)) return raw.groups.map(idString).filter((g): g is string => g !== undefined);
  if (Array.isArray(raw.groups_obj)) return raw.groups_obj.map((g) => idString(asObject(g)?.pk)).filter((g): g is string => g !== undefined);
  return undefined;
}
