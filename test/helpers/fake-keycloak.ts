import { randomUUID } from 'node:crypto';
import { FakeIdpServer, insertSorted, type RouteReply, type SeenRequest } from './fake-idp.js';

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

/** An AdminEventRepresentation (kc-openapi). */
interface KcAdminEvent {
  id: string;
  time: number;
  realmId: string;
  operationType: 'CREATE' | 'UPDATE' | 'DELETE' | 'ACTION';
  resourceType: string;
  resourcePath: string;
}

/**
 * A fake Keycloak: client-credentials tokens that expire, the Admin REST API for users (first/max,
 * brief or full, count, by id, their groups), groups the Keycloak 23+ way (top level with
 * subGroupCount, children and members paged), and admin events with dateFrom.
 */
export class FakeKeycloak extends FakeIdpServer {
  readonly realm = 'mail';
  readonly clientId = 'mailroster';
  clientSecret = 'kc-secret-for-tests';
  tokenLifetimeSeconds = 300;
  /** expires_in as told to the client, when it should differ from the real lifetime. */
  advertisedLifetimeSeconds: number | undefined;
  adminEventsEnabled = true;
  /** Accept only yyyy-MM-dd for admin-events dateFrom, as older Keycloak versions do. */
  dayDatesOnly = false;
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
    const brief = (u: KcUser): unknown => (q.get('briefRepresentation') === 'true' ? { id: u.id, username: u.username, email: u.email, enabled: u.enabled } : u);
    const listed = (): KcUser[] => this.users.filter((u) => !u.serviceAccountClientId);
    let m: RegExpExecArray | null;
    if (rest === '/users') { this.onUsersPage?.(Number(q.get('first') ?? 0)); return page(listed(), q, brief, this.maxPageCap); }
    if (rest === '/users/count') return { status: 200, body: this.countServiceAccounts ? this.users.length : listed().length };
    if ((m = /^\/users\/([^/]+)$/.exec(rest))) return this.#byId(m[1]!, (u) => ({ status: 200, body: u }));
    if ((m = /^\/users\/([^/]+)\/groups$/.exec(rest))) return this.#byId(m[1]!, (u) => page(this.groups.filter((g) => g.members.includes(u.id)), q, (g) => this.#group(g)));
    if (rest === '/groups') return page(this.groups.filter((g) => !g.parentId), q, (g) => this.#group(g));
    if ((m = /^\/groups\/([^/]+)\/children$/.exec(rest))) return page(this.groups.filter((g) => g.parentId === m![1]), q, (g) => this.#group(g));
    if ((m = /^\/groups\/([^/]+)\/members$/.exec(rest))) {
      const members = new Set(this.groups.find((g) => g.id === m![1])?.members);
      return page(this.users.filter((u) => members.has(u.id)), q, brief);
    }
    if (rest === '/events/config') return { status: 200, body: { eventsEnabled: false, adminEventsEnabled: this.adminEventsEnabled, adminEventsDetailsEnabled: false, eventsListeners: ['jboss-logging'] } };
    if (rest === '/admin-events') return this.#adminEvents(q);
    return undefined;
  }

  #token(body: string): RouteReply {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return { status: 401, body: { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' } };
    }
    const token = randomUUID();
    this.#tokens.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    return { status: 200, body: { access_token: token, expires_in: this.advertisedLifetimeSeconds ?? this.tokenLifetimeSeconds, refresh_expires_in: 0, token_type: 'Bearer', 'not-before-policy': 0, scope: 'profile email' } };
  }

  #byId(id: string, found: (u: KcUser) => RouteReply): RouteReply {
    const user = this.users.find((u) => u.id === id);
    return user ? found(user) : { status: 404, body: { error: 'User not found' } };
  }

  #group(g: KcGroup): unknown {
    const subGroupCount = this.groups.filter((c) => c.parentId === g.id).length;
    return { id: g.id, name: g.name, path: g.path, ...(g.parentId && { parentId: g.parentId }), subGroupCount, subGroups: [], attributes: g.attributes, realmRoles: [], clientRoles: {} };
  }

  #adminEvents(q: URLSearchParams): RouteReply {
    if (!this.adminEventsEnabled) return page([], q);
    const raw = q.get('dateFrom') ?? '0';
    const day = /^\d{4}-\d{2}-\d{2}$/.test(raw);
    if (this.dayDatesOnly && q.has('dateFrom') && !day) return { status: 400, body: { error: 'Invalid value for From date' } };
    const from = day ? Date.parse(`${raw}T00:00:00Z`) : Number(raw);
    const types = q.getAll('resourceTypes');
    const list = this.events.filter((e) => e.time >= from && (types.length === 0 || types.includes(e.resourceType)));
    return page([...list].reverse(), q);
  }

  #event(operationType: KcAdminEvent['operationType'], resourceType: string, resourcePath: string): void {
    this.events.push({ id: randomUUID(), time: this.#tick(), realmId: this.realm, operationType, resourceType, resourcePath });
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
