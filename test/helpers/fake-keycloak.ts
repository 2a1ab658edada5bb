import { randomUUID } from 'node:crypto';
import { FakeIdpServer, insertSorted, type RouteReply, type SeenRequest } from './fake-idp.js';
import { FakeKeycloakRealm, type KeycloakVersion } from './fake-keycloak-realm.js';

export type { KeycloakVersion } from './fake-keycloak-realm.js';

/** A Keycloak UserRepresentation (the fields listings carry). */
export interface KcUser {
  id: string;
  username: string;
  email?: string;
  emailVerified: boolean;
  firstName?: string;
  enabled: boolean;
  createdTimestamp: number;
  /** Keycloak keeps every attribute as a list of strings. */
  attributes?: Record<string, string[]>;
  serviceAccountClientId?: string;
}

/** A Keycloak GroupRepresentation plus its direct members. */
export interface KcGroup {
  id: string;
  name: string;
  path: string;
  parentId?: string;
  attributes: Record<string, string[]>;
  members: string[];
}

/** An AdminEventRepresentation (kc-openapi); `id` only since 23. */
interface KcAdminEvent {
  id?: string;
  time: number;
  realmId: string;
  operationType: 'CREATE' | 'UPDATE' | 'DELETE' | 'ACTION';
  resourceType: string;
  resourcePath: string;
}

/**
 * A fake Keycloak, version by version (`version`: 22, 25 or 26 for 26.2+): client-credentials
 * tokens (JWTs with the service account's roles) that expire, the Admin REST API for users
 * (first/max, brief or full, count, by id, their groups), groups (before 23 the whole tree
 * inline, since 23 top level with subGroupCount, children and members paged), admin and user
 * events with dateFrom (before 26.2 only yyyy-MM-dd, read in the server's time zone), realm
 * settings and the user profile (24+) in `realm`. A temporary brute-force lock makes
 * `GET /users/{id}` say `enabled: false` while the listing says true; a permanent lockout
 * disables the user and sets the `disabledReason` attribute (hidden by the 24+ user profile).
 */
export class FakeKeycloak extends FakeIdpServer {
  readonly realm = 'mail';
  readonly clientId = 'mailroster';
  clientSecret = 'kc-secret-for-tests';
  tokenLifetimeSeconds = 300;
  /** expires_in as told to the client, when it should differ from the real lifetime. */
  advertisedLifetimeSeconds: number | undefined;
  adminEventsEnabled = true;
  readonly realmSettings: FakeKeycloakRealm;
  /** Caps `max` on the user listing, as a server or proxy limit would. */
  maxPageCap: number | undefined;
  /** Makes /users/count count service accounts too, which the listing leaves out. */
  countServiceAccounts = false;
  readonly users: KcUser[] = [];
  readonly groups: KcGroup[] = [];
  readonly events: KcAdminEvent[] = [];
  onUsersPage: ((first: number) => void) | undefined;
  readonly #tokens = new Map<string, number>();
  #clock = Date.parse('2026-01-01T00:00:00Z');

  constructor(readonly version: KeycloakVersion = 26) {
    super();
    this.realmSettings = new FakeKeycloakRealm(version, this.realm);
  }

  /** Sets the fake's clock (event times); Keycloak stamps events with its own clock. */
  setClock(ms: number): void {
    this.#clock = ms;
  }

  /** A user changes her own account (account console): only a user event, UPDATE_EMAIL when the e-mail changed. */
  selfUpdate(username: string, fields: Partial<KcUser>): KcUser {
    const user = this.users.find((u) => u.username === username)!;
    const type = fields.email !== undefined && fields.email !== user.email ? 'UPDATE_EMAIL' : 'UPDATE_PROFILE';
    Object.assign(user, fields, fields.email !== undefined && fields.email !== user.email ? { emailVerified: false } : {});
    this.realmSettings.record(type, user.id, this.#tick());
    return user;
  }

  /** Someone signs up (self-registration, or a first login through an identity provider): a user event only. */
  register(username: string, email: string, type: 'REGISTER' | 'IDENTITY_PROVIDER_FIRST_LOGIN' = 'REGISTER', emailVerified = false): KcUser {
    const user: KcUser = { id: randomUUID(), username, email, emailVerified, enabled: true, createdTimestamp: this.#tick() };
    insertSorted(this.users, user, (u) => u.username);
    this.realmSettings.record(type, user.id, this.#tick(), type === 'REGISTER' ? { register_method: 'form' } : { identity_provider: 'github' });
    return user;
  }

  /** A user follows the link in the verification mail: VERIFY_EMAIL, a user event. */
  verifyEmail(username: string): void {
    const user = this.users.find((u) => u.username === username)!;
    user.emailVerified = true;
    this.realmSettings.record('VERIFY_EMAIL', user.id, this.#tick());
  }

  /** Brute-force detection locks a user: `temporary` lives beside the user, `permanent` disables her. */
  lock(username: string, kind: 'temporary' | 'permanent'): void {
    const user = this.users.find((u) => u.username === username)!;
    if (kind === 'temporary') this.realmSettings.temporarilyLocked.add(user.id);
    else Object.assign(user, { enabled: false, attributes: { ...user.attributes, disabledReason: ['permanentLockout'] } });
    this.realmSettings.record(kind === 'temporary' ? 'USER_DISABLED_BY_TEMPORARY_LOCKOUT' : 'USER_DISABLED_BY_PERMANENT_LOCKOUT', user.id, this.#tick());
  }

  /** Adds a user in username order and records a CREATE admin event. */
  addUser(fields: Partial<KcUser> & { username: string }): KcUser {
    const user: KcUser = { id: randomUUID(), email: `${fields.username}@example.com`, emailVerified: true, enabled: true, createdTimestamp: this.#tick(), ...fields };
    insertSorted(this.users, user, (u) => u.username);
    if (!user.serviceAccountClientId) this.#event('CREATE', 'USER', `users/${user.id}`);
    return user;
  }

  /** Adds many users with one sort and no events (100k runs). */
  bulkAdd(fields: (Partial<KcUser> & { username: string })[]): void {
    for (const f of fields) this.users.push({ id: randomUUID(), email: `${f.username}@example.com`, emailVerified: true, enabled: true, createdTimestamp: 0, ...f });
    this.users.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  /** Changes a user and records an UPDATE admin event. */
  update(username: string, fields: Partial<KcUser>): KcUser {
    const user = this.users.find((u) => u.username === username)!;
    Object.assign(user, fields);
    this.#event('UPDATE', 'USER', `users/${user.id}`);
    return user;
  }

  /** Deletes a user and records a DELETE admin event. */
  remove(username: string): void {
    const i = this.users.findIndex((u) => u.username === username);
    const [user] = this.users.splice(i, 1);
    for (const g of this.groups) g.members = g.members.filter((id) => id !== user!.id);
    this.#event('DELETE', 'USER', `users/${user!.id}`);
  }

  /** Adds a group under `parent` (a group name); `members` are usernames. */
  addGroup(name: string, members: string[], attributes: Record<string, string[]> = {}, parent?: string): KcGroup {
    const p = parent === undefined ? undefined : this.groups.find((g) => g.name === parent)!;
    const group: KcGroup = {
      id: randomUUID(), name, path: `${p?.path ?? ''}/${name}`, ...(p && { parentId: p.id }), attributes,
      members: members.map((m) => this.users.find((u) => u.username === m)!.id),
    };
    this.groups.push(group);
    return group;
  }

  /** Puts a user into a group, recording a GROUP_MEMBERSHIP admin event. */
  join(username: string, groupName: string): void {
    const user = this.users.find((u) => u.username === username)!;
    const group = this.groups.find((g) => g.name === groupName)!;
    group.members.push(user.id);
    this.#event('CREATE', 'GROUP_MEMBERSHIP', `users/${user.id}/groups/${group.id}`);
  }

  /** Makes every issued token expired, as after its lifespan. */
  expireTokens(): void {
    for (const t of this.#tokens.keys()) this.#tokens.set(t, 0);
  }

  protected route(req: SeenRequest): RouteReply | undefined {
    if (req.path === `/realms/${this.realm}/protocol/openid-connect/token` && req.method === 'POST') return this.#token(req.body);
    const admin = `/admin/realms/${this.realm}`;
    if (!req.path.startsWith(admin)) return undefined;
    const token = req.authorization?.replace(/^Bearer /, '') ?? '';
    if (!((this.#tokens.get(token) ?? 0) > Date.now())) return { status: 401, body: { error: 'HTTP 401 Unauthorized' } };
    const rest = req.path.slice(admin.length);
    const q = req.query;
    const r = this.realmSettings;
    const full = (u: KcUser): KcUser => {
      const hidden = this.version >= 24 && r.profile.unmanagedAttributePolicy === undefined && u.attributes?.disabledReason;
      if (!hidden) return u;
      const { disabledReason: _, ...attributes } = u.attributes!;
      return { ...u, attributes };
    };
    const brief = (u: KcUser): unknown => (q.get('briefRepresentation') === 'true' ? { id: u.id, username: u.username, email: u.email, enabled: u.enabled } : full(u));
    // With query-users but no view-users Keycloak lists only the users it may view: none here.
    const listed = (): KcUser[] => (r.roles.has('view-users') ? this.users.filter((u) => !u.serviceAccountClientId) : []);
    let m: RegExpExecArray | null;
    if (rest === '') return r.representation();
    if (rest === '/users/profile') return r.userProfile();
    if (rest === '/users') { this.onUsersPage?.(Number(q.get('first') ?? 0)); return r.require('view-users', 'query-users') ?? page(listed(), q, brief, this.maxPageCap); }
    if (rest === '/users/count') return r.require('view-users', 'query-users') ?? { status: 200, body: this.countServiceAccounts && r.roles.has('view-users') ? this.users.length : listed().length };
    if ((m = /^\/attack-detection\/brute-force\/users\/([^/]+)$/.exec(rest))) {
      const locked = r.temporarilyLocked.has(m[1]!);
      return r.require('view-users') ?? { status: 200, body: { disabled: locked, numFailures: locked ? 5 : 0, lastFailure: locked ? this.#clock : 0, lastIPFailure: locked ? '192.0.2.7' : 'n/a' } };
    }
    if ((m = /^\/users\/([^/]+)$/.exec(rest))) return r.require('view-users') ?? this.#byId(m[1]!, (u) => ({ status: 200, body: { ...full(u), ...(r.temporarilyLocked.has(u.id) && { enabled: false }) } }));
    if ((m = /^\/users\/([^/]+)\/groups$/.exec(rest))) return r.require('view-users') ?? this.#byId(m[1]!, (u) => page(this.groups.filter((g) => g.members.includes(u.id)), q, (g) => this.#group(g)));
    if (rest === '/groups') return r.require('query-groups', 'view-users') ?? page(this.groups.filter((g) => !g.parentId), q, (g) => this.#group(g));
    if ((m = /^\/groups\/([^/]+)\/children$/.exec(rest))) return this.version < 23 ? undefined : page(this.groups.filter((g) => g.parentId === m![1]), q, (g) => this.#group(g));
    if ((m = /^\/groups\/([^/]+)\/members$/.exec(rest))) {
      const members = new Set(this.groups.find((g) => g.id === m![1])?.members);
      return r.require('view-users') ?? page(this.users.filter((u) => members.has(u.id)), q, brief);
    }
    if (rest === '/events/config') return r.require('view-events', 'view-realm') ?? { status: 200, body: { eventsEnabled: r.eventsEnabled, adminEventsEnabled: this.adminEventsEnabled, adminEventsDetailsEnabled: false, eventsListeners: ['jboss-logging'] } };
    if (rest === '/admin-events') return r.require('view-events') ?? this.#adminEvents(q);
    if (rest === '/events') return r.require('view-events') ?? r.events(q, (items) => page(items, q));
    return undefined;
  }

  #token(body: string): RouteReply {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return { status: 401, body: { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' } };
    }
    const token = this.realmSettings.jwt();
    this.#tokens.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    return { status: 200, body: { access_token: token, expires_in: this.advertisedLifetimeSeconds ?? this.tokenLifetimeSeconds, refresh_expires_in: 0, token_type: 'Bearer', 'not-before-policy': 0, scope: 'profile email' } };
  }

  #byId(id: string, found: (u: KcUser) => RouteReply): RouteReply {
    const user = this.users.find((u) => u.id === id);
    return user ? found(user) : { status: 404, body: { error: 'User not found' } };
  }

  /** Since 23: subGroupCount, children fetched apart; before: the whole subtree inline in subGroups. */
  #group(g: KcGroup): unknown {
    const children = this.groups.filter((c) => c.parentId === g.id);
    const base = { id: g.id, name: g.name, path: g.path, ...(g.parentId && { parentId: g.parentId }), attributes: g.attributes, realmRoles: [], clientRoles: {} };
    if (this.version < 23) return { ...base, subGroups: children.map((c) => this.#group(c)) };
    return { ...base, subGroupCount: children.length, subGroups: [] };
  }

  #adminEvents(q: URLSearchParams): RouteReply {
    if (!this.adminEventsEnabled) return page([], q);
    const from = this.realmSettings.dateFrom(q);
    if (typeof from !== 'number') return from;
    const types = q.getAll('resourceTypes');
    const list = this.events.filter((e) => e.time >= from && (types.length === 0 || types.includes(e.resourceType)));
    return page([...list].reverse(), q);
  }

  #event(operationType: KcAdminEvent['operationType'], resourceType: string, resourcePath: string): void {
    this.events.push({ ...(this.version >= 23 && { id: randomUUID() }), time: this.#tick(), realmId: this.realm, operationType, resourceType, resourcePath });
  }

  #tick(): number {
    return (this.#clock += 1000);
  }
}

/** Keycloak's first/max paging: a bare JSON array. */
function page<T>(items: readonly T[], q: URLSearchParams, render: (t: T) => unknown = (t) => t, cap = Infinity): RouteReply {
  const first = Number(q.get('first') ?? 0);
  const max = Math.min(Number(q.get('max') ?? 100), cap);
  return { status: 200, body: items.slice(first, first + max).map(render) };
}
