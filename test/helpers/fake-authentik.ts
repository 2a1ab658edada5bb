import { randomUUID } from 'node:crypto';
import { FakeIdpServer, insertSorted, type RouteReply, type SeenRequest } from './fake-idp.js';
import { FakeAuthentikTokens } from './fake-authentik-tokens.js';

/** An Authentik user as /api/v3/core/users/ returns it (client-go docs/User.md). */
export interface AkUser {
  pk: number;
  username: string;
  name: string;
  email: string;
  is_active: boolean;
  is_superuser: boolean;
  /** internal | external | service_account | internal_service_account */
  type: string;
  path: string;
  uuid: string;
  uid: string;
  attributes: Record<string, unknown>;
  /** Sent only since 2025.8. */
  last_updated: string;
  date_joined: string;
}

/** An Authentik group; `parents` is rendered as one `parent` before 2025.12. */
export interface AkGroup {
  pk: string;
  num_pk: number;
  name: string;
  is_superuser: boolean;
  parents: string[];
  users: number[];
  attributes: Record<string, unknown>;
}

/** The Authentik releases whose API differences the fake reproduces. */
export type AuthentikVersion = '2025.6' | '2025.12' | 'current';

const ORDER: Record<AuthentikVersion, number> = { '2025.6': 2025.06, '2025.12': 2025.12, current: 9999 };

/** What the API token's user may do (Authentik RBAC, rbac/filters.py). */
export interface AkTokenUser {
  is_superuser: boolean;
  /** Global permissions such as `authentik_core.view_user`. */
  permissions: Set<string>;
  /** Object-level view rights on these user pks only (no global view_user): the listing shows just them, without an error. */
  objectUsers?: Set<number>;
}

/** Everything mailroster asks for: view users and groups, read settings and flows. */
export const AK_READ_PERMISSIONS = ['authentik_core.view_user', 'authentik_core.view_group', 'authentik_rbac.view_system_settings', 'authentik_flows.view_flow'];

/**
 * A fake Authentik API v3, version by version (`version`): users ordered by username and paged
 * with page/page_size until `pagination.next` is 0 (404 past the end); `last_updated`,
 * `last_updated__gt` and `ordering=last_updated` only since 2025.8 (older versions drop the
 * unknown parameters silently and answer every user in username order); page_size capped at 100
 * since 2025.12; groups with one `parent` before 2025.12 and a `parents` list since. API tokens
 * expire (403 "Token invalid/expired"), only intent `api` authenticates, and a token user without
 * the global view permission sees only the users it holds object rights on.
 */
export class FakeAuthentik extends FakeIdpServer {
  token = 'ak-token-for-tests';
  /** Epoch ms after which `token` is expired (UI-made tokens: one day); undefined never. */
  tokenExpires: number | undefined;
  tokenIntent = 'api';
  readonly tokenUser: AkTokenUser = { is_superuser: false, permissions: new Set(AK_READ_PERMISSIONS) };
  /** System settings (/api/v3/admin/settings/). */
  readonly settings = { default_user_change_email: false, default_user_change_name: true, default_user_change_username: false };
  /** Flows (/api/v3/flows/instances/); `authentication: none` enrollment means anyone may sign up. */
  readonly flows: { slug: string; designation: string; authentication: string }[] = [{ slug: 'default-authentication-flow', designation: 'authentication', authentication: 'none' }];
  readonly users: AkUser[] = [];
  readonly groups: AkGroup[] = [];
  onUsersPage: ((page: number) => void) | undefined;
  /** App passwords, other tokens and OAuth2 introspection (fake-authentik-tokens.ts). */
  readonly tokens = new FakeAuthentikTokens();
  #pk = 0;
  #clock = Date.parse('2026-01-01T00:00:00Z');
  #memberIndex: { signature: string; map: Map<number, string[]> } | undefined;

  constructor(readonly version: AuthentikVersion = 'current') {
    super();
  }

  /** Whether this fake is `v` or newer. */
  atLeast(v: AuthentikVersion | '2025.8'): boolean {
    return ORDER[this.version] >= (v === '2025.8' ? 2025.08 : ORDER[v]);
  }

  /** Adds a user (internal, active by default) in username order; returns it. */
  addUser(fields: Partial<AkUser> & { username: string }): AkUser {
    const user = this.#newUser(fields);
    insertSorted(this.users, user, (u) => u.username);
    return user;
  }

  /** Adds many users at once (one sort), for the 100k runs. */
  bulkAdd(fields: (Partial<AkUser> & { username: string })[]): void {
    for (const f of fields) this.users.push(this.#newUser(f));
    this.users.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  /** Changes a user and bumps its last_updated. */
  update(username: string, fields: Partial<AkUser>): AkUser {
    const user = this.users.find((u) => u.username === username)!;
    Object.assign(user, fields, { last_updated: this.#tick() });
    return user;
  }

  /** Deletes a user (and its group memberships). */
  remove(username: string): void {
    const i = this.users.findIndex((u) => u.username === username);
    const [user] = this.users.splice(i, 1);
    for (const g of this.groups) g.users = g.users.filter((pk) => pk !== user!.pk);
  }

  /** Adds a group; `members` are usernames, `parent` a group name. */
  addGroup(name: string, members: string[], attributes: Record<string, unknown> = {}, parent?: string): AkGroup {
    const pks = members.map((m) => this.users.find((u) => u.username === m)!.pk);
    const parents = parent ? [this.groups.find((g) => g.name === parent)!.pk] : [];
    const group: AkGroup = { pk: randomUUID(), num_pk: this.groups.length + 1, name, is_superuser: false, parents, users: pks, attributes };
    this.groups.push(group);
    return group;
  }

  protected route(req: SeenRequest): RouteReply | undefined {
    // The OAuth2 endpoints authenticate clients, not API tokens.
    const introspection = this.tokens.introspect(req);
    if (introspection) return introspection;
    const valid = req.authorization === `Bearer ${this.token}` && this.tokenIntent === 'api' && (this.tokenExpires === undefined || this.tokenExpires > Date.now());
    // DRF AuthenticationFailed without an authenticate header: 403, not 401.
    if (!valid) return { status: 403, body: { detail: 'Token invalid/expired' } };
    const q = req.query;
    switch (req.path) {
      case '/api/v3/core/users/': return this.#can('authentik_core.view_user', this.tokenUser.objectUsers !== undefined) ?? this.#users(q);
      case '/api/v3/core/users/me/': return { status: 200, body: { user: { pk: 9000, username: 'mailroster', is_superuser: this.tokenUser.is_superuser, system_permissions: [...this.tokenUser.permissions] } } };
      case '/api/v3/core/groups/': return this.#can('authentik_core.view_group') ?? paginate(this.groups.map((g) => this.#group(g)), q, this.#cap());
      case '/api/v3/admin/settings/': return this.#can('authentik_rbac.view_system_settings') ?? { status: 200, body: { ...this.settings } };
      case '/api/v3/flows/instances/': return this.#can('authentik_flows.view_flow', true) ?? paginate(this.#flows(q), q, this.#cap());
      default: {
        const one = /^\/api\/v3\/core\/users\/(\d+)\/$/.exec(req.path);
        if (one) return this.#can('authentik_core.view_user', this.tokenUser.objectUsers !== undefined) ?? this.#user(Number(one[1]));
        return this.tokens.route(req, (items, query) => paginate(items, query, this.#cap()), (pk) => {
          const u = this.users.find((x) => x.pk === pk);
          return u && { pk: u.pk, username: u.username, name: u.name, is_active: u.is_active, email: u.email, attributes: u.attributes, uid: u.uid, uuid: u.uuid };
        });
      }
    }
  }

  /** 403 unless the token user holds `permission` (or, with `partial`, some object rights). */
  #can(permission: string, partial = false): RouteReply | undefined {
    const u = this.tokenUser;
    if (u.is_superuser || u.permissions.has(permission) || partial) return undefined;
    return { status: 403, body: { detail: 'You do not have permission to perform this action.' } };
  }

  #cap(): number {
    return this.atLeast('2025.12') ? 100 : Infinity;
  }

  #flows(q: URLSearchParams): unknown[] {
    const u = this.tokenUser;
    if (!u.is_superuser && !u.permissions.has('authentik_flows.view_flow')) return [];
    const designation = q.get('designation');
    return this.flows.filter((f) => designation === null || f.designation === designation).map((f) => ({ pk: f.slug, name: f.slug, title: f.slug, ...f }));
  }

  #users(q: URLSearchParams): RouteReply {
    const page = Number(q.get('page') ?? 1);
    this.onUsersPage?.(page);
    const u = this.tokenUser;
    let list = u.is_superuser || u.permissions.has('authentik_core.view_user') ? this.users : this.users.filter((x) => u.objectUsers?.has(x.pk));
    const modern = this.atLeast('2025.8');
    const since = q.get('last_updated__gt');
    if (modern && since !== null) list = list.filter((x) => Date.parse(x.last_updated) > Date.parse(since));
    const ordering = q.get('ordering');
    if (modern && (ordering === 'last_updated' || ordering === '-last_updated')) {
      list = [...list].sort((a, b) => (a.last_updated < b.last_updated ? -1 : a.last_updated > b.last_updated ? 1 : 0));
      if (ordering.startsWith('-')) list.reverse();
    }
    const withGroups = q.get('include_groups') !== 'false';
    const groupsOf = this.#membership();
    return paginate(list, q, this.#cap(), (x) => {
      const { last_updated: lastUpdated, ...rest } = x;
      return { ...rest, ...(modern && { last_updated: lastUpdated }), groups: groupsOf.get(x.pk) ?? [], groups_obj: withGroups ? [] : null };
    });
  }

  #group(g: AkGroup): unknown {
    const { parents, ...rest } = g;
    return this.atLeast('2025.12') ? g : { ...rest, parent: parents[0] ?? null };
  }

  /** GET /core/users/{pk}/: one user with its groups; Django's 404 for an unknown pk or one outside the token's object rights. */
  #user(pk: number): RouteReply {
    const u = this.tokenUser;
    const user = this.users.find((x) => x.pk === pk && (u.is_superuser || u.permissions.has('authentik_core.view_user') || u.objectUsers?.has(x.pk)));
    if (!user) return { status: 404, body: { detail: 'No User matches the given query.' } };
    const { last_updated: lastUpdated, ...rest } = user;
    return { status: 200, body: { ...rest, ...(this.atLeast('2025.8') && { last_updated: lastUpdated }), groups: this.#membership().get(pk) ?? [], groups_obj: [] } };
  }

  /** User pk -> group pks, rebuilt only when memberships change, so 100k-user pages stay cheap. */
  #membership(): Map<number, string[]> {
    const signature = this.groups.map((g) => `${g.pk}:${g.users.length}`).join();
    if (this.#memberIndex?.signature === signature) return this.#memberIndex.map;
    const map = new Map<number, string[]>();
    for (const g of this.groups) for (const pk of g.users) (map.get(pk) ?? map.set(pk, []).get(pk)!).push(g.pk);
    this.#memberIndex = { signature, map };
    return map;
  }

  #newUser(f: Partial<AkUser> & { username: string }): AkUser {
    const pk = ++this.#pk;
    const now = this.#tick();
    return {
      pk, name: f.username, email: `${f.username}@example.com`, is_active: true, is_superuser: false, type: 'internal',
      path: 'users', uuid: randomUUID(), uid: `uid-${pk}`, attributes: {}, last_updated: now, date_joined: now, ...f,
    };
  }

  /** Authentik writes microsecond timestamps with an offset. */
  #tick(): string {
    this.#clock += 1000;
    return new Date(this.#clock).toISOString().replace('Z', '123+00:00');
  }
}

/** Authentik's pagination envelope (authentik/api/pagination.py); page_size defaults to 20 and is capped at `cap`. */
function paginate<T>(items: readonly T[], q: URLSearchParams, cap: number, render: (t: T) => unknown = (t) => t): RouteReply {
  const size = Math.min(Number(q.get('page_size') ?? 20), cap);
  const page = Number(q.get('page') ?? 1);
  const totalPages = Math.max(1, Math.ceil(items.length / size));
  if (page > totalPages) return { status: 404, body: { detail: 'Invalid page.' } };
  const slice = items.slice((page - 1) * size, page * size);
  return {
    status: 200,
    body: {
      pagination: {
        next: page < totalPages ? page + 1 : 0, previous: page > 1 ? page - 1 : 0, count: items.length, current: page,
        total_pages: totalPages, start_index: slice.length ? (page - 1) * size + 1 : 0, end_index: (page - 1) * size + slice.length,
      },
      results: slice.map(render),
    },
  };
}
