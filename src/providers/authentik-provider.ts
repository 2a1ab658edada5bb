import type { DirectoryData } from '../directory/directory-data.js';
import { attrScalar } from './attribute-values.js';
import { AuthentikApi, GROUPS, USERS, type Json } from './authentik-api.js';
import { AuthentikFeed } from './authentik-feed.js';
import { AuthentikTrust } from './authentik-trust.js';
import type { ChangeTracker } from './change-tracker.js';
import { runFullSync } from './full-sync.js';
import { GroupTree, type ProviderGroup } from './group-tree.js';
import { asObject, idString, type IdpOptions } from './idp-options.js';
import type { Page } from './paging.js';
import { ProviderError } from './provider-error.js';
import type { ProviderUser } from './provider-mapping.js';
import { ProviderFeatures, type ProviderStatus } from './provider-status.js';
import type { DirectoryChange, DirectoryProvider, FetchOptions } from './provider.js';
import { AuthentikAppPasswords, withAppPasswords } from './authentik-app-passwords.js';

/** Authentik settings: base URL and API token (already read from provider.authentik.tokenFile). */
export interface AuthentikOptions extends IdpOptions {
  readonly url: string;
  readonly token: string;
  /** User attribute with an admin-set mail address, preferred over `email` (provider.authentik.emailAttribute); '' for none. */
  readonly emailAttribute?: string;
}

/** User types that never get mail: Authentik's `type` is internal|external|service_account|internal_service_account. */
const MAIL_TYPES = new Set(['internal', undefined]);

/**
 * Authentik (API v3) behind the provider interface: users paged from /core/users/ (without the
 * expensive group expansion, goauthentik/authentik#3884), groups with member pks from
 * /core/groups/, and `last_updated` polling for incremental changes where the version has it
 * (authentik-feed.ts). Before each full sync the token's reach and who may set e-mails are
 * checked (authentik-trust.ts).
 */
export class AuthentikProvider implements DirectoryProvider {
  readonly name = 'authentik';
  readonly strict = false;
  readonly #o: AuthentikOptions;
  readonly #api: AuthentikApi;
  readonly #features: ProviderFeatures;
  readonly #feed: AuthentikFeed;
  readonly #trust: AuthentikTrust;
  readonly #appPasswords: AuthentikAppPasswords;
  #tracker: ChangeTracker | undefined;

  constructor(options: AuthentikOptions) {
    this.#o = options;
    this.#api = new AuthentikApi(options);
    this.#features = new ProviderFeatures(this.name, options.logger);
    this.#feed = new AuthentikFeed(this.#api, this.#features);
    this.#trust = new AuthentikTrust(this.#api, this.#features, options.selfService);
    this.#appPasswords = new AuthentikAppPasswords(this.#api, options.logger);
  }

  /** Checks the token, reads every group, then every user page by page; rejects on any failed page. */
  async fetchDirectory(signal: AbortSignal, options: FetchOptions = {}): Promise<DirectoryData> {
    const ownership = await this.#trust.check(signal);
    const result = await runFullSync({
      name: this.name, mapping: this.#o.mapping, logger: this.#o.logger,
      trust: { ownership, options: this.#o.selfService },
      groups: async () => new GroupTree(await this.#groups(signal)),
      users: { page: (i, s) => this.#usersPage(i, s) },
      idOf: (raw) => idString(raw.pk)!,
      toUser: (raw) => this.#toUser(raw),
    }, signal);
    this.#tracker = result.tracker;
    this.#features.recordSync(result.counts);
    return this.#appPasswords.attach(result.data, options.known, options.readSecrets !== false, signal);
  }

  /**
   * Users changed since `cursor`. Without a cursor it only finds the starting point. Deletions
   * and group changes do not bump `last_updated`; the periodic full sync reconciles them.
   */
  async fetchChanges(cursor: string | undefined, signal: AbortSignal): Promise<{ changes: DirectoryChange[]; cursor: string }> {
    if (cursor === undefined) return { changes: [], cursor: await this.#feed.start(signal) };
    // Changes are relative to a full sync this process made; until then the cursor waits.
    const tracker = this.#tracker;
    if (tracker === undefined) return { changes: [], cursor };
    const changes: DirectoryChange[] = [];
    const next = await this.#feed.poll(cursor, signal, (raw) => {
      const id = idString(raw.pk)!;
      const change = tracker.user(id, this.#toUser(raw), groupIdsOf(raw));
      // App passwords are read by the full sync; an upsert keeps them.
      changes.push(change.op === 'upsert-mailbox' ? { ...change, mailbox: withAppPasswords(change.mailbox, change.mailbox.enabled === false ? undefined : this.#appPasswords.forUser(id)) } : change);
    });
    if (changes.length > 0) changes.push(...tracker.listChanges());
    return { changes, cursor: next };
  }

  /** Detected features (change feed, permission and self-service checks) and the last sync's counts. */
  status(): ProviderStatus {
    return this.#features.snapshot();
  }

  /** Re-reads one user (`/core/users/{pk}/`; 404: deleted) against the last full sync's groups. */
  async fetchUser(id: string, signal: AbortSignal): Promise<DirectoryChange[] | undefined> {
    const tracker = this.#tracker;
    if (tracker === undefined) return undefined;
    let raw: Json | undefined;
    try {
      raw = await this.#api.get(`${USERS}${encodeURIComponent(id)}/`, { include_groups: true, include_roles: false }, signal);
    } catch (err) {
      if (!(err instanceof ProviderError && err.status === 404)) throw err;
    }
    return [tracker.user(id, raw && this.#toUser(raw), raw && groupIdsOf(raw)), ...tracker.listChanges()];
  }

  /** Closes the HTTP connection pool. */
  async close(): Promise<void> {
    await this.#api.close();
  }

  /**
   * A page of the full user listing. Authentik answers 404 "Invalid page" past the last page, so
   * a 404 after page 1 means users were deleted mid-sync: total -1 makes collectAll read again.
   */
  async #usersPage(index: number, signal: AbortSignal): Promise<Page<Json>> {
    try {
      return await this.#api.page(USERS, index, { include_groups: false, include_roles: false }, signal);
    } catch (err) {
      if (index > 0 && err instanceof ProviderError && err.status === 404) return { items: [], more: false, total: -1 };
      throw err;
    }
  }

  async #groups(signal: AbortSignal): Promise<ProviderGroup[]> {
    // include_users=false drops the expanded users_obj; the `users` pk list stays.
    return (await this.#api.all(GROUPS, { include_users: false, include_children: false }, signal)).map(toGroup);
  }

  /** The user as mapping sees it; undefined for service accounts and external users. */
  #toUser(raw: Json): ProviderUser | undefined {
    if (!MAIL_TYPES.has(raw.type as string | undefined)) return undefined;
    const attributes = asObject(raw.attributes) ?? {};
    const fromAttribute = this.#o.emailAttribute ? attrScalar(attributes, this.#o.emailAttribute) : undefined;
    const email = typeof fromAttribute === 'string' && fromAttribute !== '' ? fromAttribute : raw.email;
    return {
      id: idString(raw.pk)!,
      ...(typeof email === 'string' && email !== '' && { email }),
      ...(email === fromAttribute && { emailFromAdmin: true }),
      active: raw.is_active !== false,
      attributes,
    };
  }
}

/** Authentik before 2025.12 has one `parent`; later versions a `parents` list. */
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

/** The user's direct group pks; `groups` is sent even with include_groups=false (groups_obj is then null). */
function groupIdsOf(raw: Json): string[] | undefined {
  if (Array.isArray(raw.groups)) return raw.groups.map(idString).filter((g): g is string => g !== undefined);
  if (Array.isArray(raw.groups_obj)) return raw.groups_obj.map((g) => idString(asObject(g)?.pk)).filter((g): g is string => g !== undefined);
  return undefined;
}
