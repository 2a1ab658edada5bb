import type { DirectoryData } from '../directory/directory-data.js';
import type { ChangeTracker } from './change-tracker.js';
import { runFullSync } from './full-sync.js';
import { GroupTree } from './group-tree.js';
import { HttpClient } from './http-client.js';
import type { IdpOptions } from './idp-options.js';
import { KeycloakEvents } from './keycloak-events.js';
import { KeycloakGroups, keycloakPager } from './keycloak-groups.js';
import { KeycloakToken } from './keycloak-token.js';
import { KeycloakTrust } from './keycloak-trust.js';
import { KeycloakUserReader, requireId, toKeycloakUser } from './keycloak-users.js';
import { ProviderError } from './provider-error.js';
import { ProviderFeatures, type ProviderStatus } from './provider-status.js';
import type { DirectoryChange, DirectoryProvider } from './provider.js';


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
  const role = path.includes('events') ? 'view-events' : path.includes('/groups') ? 'query-groups and view-users' : /realms\/[^/]+$/.test(path) ? 'view-realm' : 'view-users and query-users';
  return `the client's service account needs the realm-management role(s) ${role}`;
}

/**
 * Keycloak (Admin REST API) behind the provider interface: a client-credentials token, users
 * paged with first/max in full representation (attributes come along), groups with subgroups and
 * members, and admin- and user-event polling for incremental changes (keycloak-events.ts). Before
 * each full sync the service account's reach and who may set addresses are checked
 * (keycloak-trust.ts); single re-reads tell a brute-force lock from a disable (keycloak-users.ts).
 */
export class KeycloakProvider implements DirectoryProvider {
  readonly name = 'keycloak';
  readonly strict = false;
  readonly #o: KeycloakOptions;
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #groups: KeycloakGroups;
  readonly #events: KeycloakEvents;
  readonly #features: ProviderFeatures;
  readonly #trust: KeycloakTrust;
  readonly #users: KeycloakUserReader;
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
    this.#features = new ProviderFeatures(this.name, options.logger);
    this.#groups = new KeycloakGroups(this.#http, this.#base, options.pageSize);
    this.#events = new KeycloakEvents(this.#http, this.#base, options.pageSize, this.#features);
    this.#users = new KeycloakUserReader(this.#http, this.#base);
    this.#trust = new KeycloakTrust({
      http: this.#http, base: this.#base, token, features: this.#features, options: options.selfService, aliasesAttribute: options.mapping.aliasesAttribute,
    });
  }

  /** Reads groups (members only where mapping needs them), then every user page by page. */
  async fetchDirectory(signal: AbortSignal): Promise<DirectoryData> {
    const ownership = await this.#trust.check(signal);
    const result = await runFullSync({
      name: this.name, mapping: this.#o.mapping, logger: this.#o.logger,
      trust: { ownership, options: this.#o.selfService },
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
      toUser: (raw) => toKeycloakUser(raw),
    }, signal);
    this.#tracker = result.tracker;
    this.#features.recordSync(result.counts);
    return result.data;
  }

  /**
   * Users touched by admin events (created, updated, deleted, group membership changed) or user
   * events (self-service changes, registration, first login through an identity provider) since
   * `cursor`, each re-read: a 404 means deleted. Group attribute changes wait for the full sync.
   */
  async fetchChanges(cursor: string | undefined, signal: AbortSignal): Promise<{ changes: DirectoryChange[]; cursor: string }> {
    if (cursor === undefined) return { changes: [], cursor: await this.#events.start(signal) };
    if (this.#tracker === undefined) return { changes: [], cursor };
    const { userIds, cursor: next } = await this.#events.poll(cursor, signal);
    const changes: DirectoryChange[] = [];
    for (const id of userIds) {
      const user = await this.#users.read(id, this.#tracker.enabled(id), signal);
      const groups = user !== 'deleted' && this.#o.mapping.mailboxGroup !== '' ? await this.#groups.ofUser(id, signal) : undefined;
      changes.push(this.#tracker.user(id, user === 'deleted' ? undefined : user, groups));
    }
    if (changes.length > 0) changes.push(...this.#tracker.listChanges());
    return { changes, cursor: next };
  }

  /** Detected features (event feeds, permission and self-service checks) and the last sync's counts. */
  status(): ProviderStatus {
    return this.#features.snapshot();
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
}
