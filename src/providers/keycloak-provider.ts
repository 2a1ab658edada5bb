import type { DirectoryData } from '../directory/directory-data.js';
import type { ChangeTracker } from './change-tracker.js';
import { runFullSync } from './full-sync.js';
import { GroupTree } from './group-tree.js';
import { HttpClient } from './http-client.js';
import { asObject, idString, type IdpOptions } from './idp-options.js';
import { KeycloakEvents } from './keycloak-events.js';
import { KeycloakGroups, keycloakPager } from './keycloak-groups.js';
import { KeycloakToken } from './keycloak-token.js';
import { ProviderError } from './provider-error.js';
import type { ProviderUser } from './provider-mapping.js';
import type { DirectoryChange, DirectoryProvider } from './provider.js';

type Json = Record<string, unknown>;

/** Keycloak settings: base URL, realm and the service-account client (secret already read from its file). */
export interface KeycloakOptions extends IdpOptions {
  readonly url: string;
  readonly realm: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** realm-management roles each Admin API area needs, for 401/403 messages. */
function keycloakPermission(path: string): string {
  if (path.includes('/protocol/openid-connect/token')) return 'check provider.keycloak.clientId/clientSecret (a confidential client with "Service accounts roles" on)';
  const role = path.includes('events') ? 'view-events' : path.includes('/groups') ? 'query-groups and view-users' : 'view-users and query-users';
  return `the client's service account needs the realm-management role(s) ${role}`;
}

/**
 * Keycloak (Admin REST API) behind the provider interface: a client-credentials token, users
 * paged with first/max in full representation (attributes come along), groups with subgroups and
 * members, and admin-event polling for incremental changes.
 */
export class KeycloakProvider implements DirectoryProvider {
  readonly name = 'keycloak';
  readonly strict = false;
  readonly #o: KeycloakOptions;
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #groups: KeycloakGroups;
  readonly #events: KeycloakEvents;
  #tracker: ChangeTracker | undefined;

  constructor(options: KeycloakOptions) {
    this.#o = options;
    this.#base = `admin/realms/${encodeURIComponent(options.realm)}`;
    let token: KeycloakToken | undefined;
    this.#http = new HttpClient({
      provider: 'keycloak', baseUrl: options.url, timeoutMs: options.timeoutMs, retries: options.retries, caFile: options.caFile,
      authorization: async (signal) => `Bearer ${await token!.get(signal)}`,
      onUnauthorized: () => token!.invalidate(),
      permissionFor: keycloakPermission,
      ...(options.logger && { logger: options.logger }),
      ...(options.retryBaseMs !== undefined && { retryBaseMs: options.retryBaseMs }),
    });
    token = new KeycloakToken(this.#http, options.realm, options.clientId, options.clientSecret);
    this.#groups = new KeycloakGroups(this.#http, this.#base, options.pageSize);
    this.#events = new KeycloakEvents(this.#http, this.#base, options.pageSize, options.logger);
  }

  /** Reads groups (members only where mapping needs them), then every user page by page. */
  async fetchDirectory(signal: AbortSignal): Promise<DirectoryData> {
    const result = await runFullSync({
      name: this.name, mapping: this.#o.mapping, logger: this.#o.logger,
      groups: async (mapper) => {
        const bare = new GroupTree(await this.#groups.hierarchy(signal));
        return new GroupTree(await this.#groups.withMembers(bare, mapper.groupsNeedingMembers(bare), signal));
      },
      users: {
        page: keycloakPager(this.#http, `${this.#base}/users`, { briefRepresentation: false }, this.#o.pageSize),
        count: (s) => this.#count(s),
      },
      idOf: (raw) => requireId(raw),
      // Plain listings leave service accounts out already; the check guards older versions.
      toUser: (raw) => (raw.serviceAccountClientId === undefined ? toUser(raw) : undefined),
    }, signal);
    this.#tracker = result.tracker;
    return result.data;
  }

  /**
   * Users touched by admin events since `cursor` (created, updated, deleted, group membership
   * changed), each re-read: a 404 means deleted. Group attribute changes wait for the full sync.
   */
  async fetchChanges(cursor: string | undefined, signal: AbortSignal): Promise<{ changes: DirectoryChange[]; cursor: string }> {
    if (cursor === undefined) return { changes: [], cursor: await this.#events.start(signal) };
    if (this.#tracker === undefined) return { changes: [], cursor };
    const { userIds, cursor: next } = await this.#events.poll(cursor, signal);
    const changes: DirectoryChange[] = [];
    for (const id of userIds) {
      const raw = await this.#user(id, signal);
      const groups = raw && this.#o.mapping.mailboxGroup !== '' ? await this.#groups.ofUser(id, signal) : undefined;
      changes.push(this.#tracker.user(id, raw && raw.serviceAccountClientId === undefined ? toUser(raw) : undefined, groups));
    }
    if (changes.length > 0) changes.push(...this.#tracker.listChanges());
    return { changes, cursor: next };
  }

  /** Closes the HTTP connection pool. */
  async close(): Promise<void> {
    await this.#http.close();
  }

  async #count(signal: AbortSignal): Promise<number> {
    const n = await this.#http.getJson(`${this.#base}/users/count`, {}, signal);
    if (typeof n !== 'number') throw new ProviderError('PROVIDER_BAD_RESPONSE', `keycloak: GET /${this.#base}/users/count: not a number`);
    return n;
  }

  async #user(id: string, signal: AbortSignal): Promise<Json | undefined> {
    try {
      const raw = asObject(await this.#http.getJson(`${this.#base}/users/${encodeURIComponent(id)}`, {}, signal));
      if (!raw) throw new ProviderError('PROVIDER_BAD_RESPONSE', `keycloak: user ${id}: not an object`);
      return raw;
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return undefined;
      throw err;
    }
  }
}

function requireId(raw: Json): string {
  const id = idString(raw.id);
  if (id === undefined) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'keycloak: a user has no id');
  return id;
}

function toUser(raw: Json): ProviderUser {
  return {
    id: requireId(raw),
    ...(typeof raw.email === 'string' && raw.email !== '' && { email: raw.email }),
    active: raw.enabled !== false,
    attributes: asObject(raw.attributes) ?? {},
  };
}
