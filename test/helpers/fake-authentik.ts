import { randomUUID } from 'node:crypto';
import { FakeIdpServer, insertSorted, type RouteReply, type SeenRequest } from './fake-idp.js';

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
  last_updated: string;
  date_joined: string;
}

/** An Authentik group as /api/v3/core/groups/ returns it (client-go docs/Group.md). */
export interface AkGroup {
  pk: string;
  num_pk: number;
  name: string;
  is_superuser: boolean;
  parents: string[];
  users: number[];
  attributes: Record<string, unknown>;
}

/**
 * A fake Authentik API v3: token auth, users ordered by username and paged with page/page_size
 * until `pagination.next` is 0, groups with member pks, `last_updated__gt` filtering and
 * `ordering` on last_updated. `onUsersPage` runs before a users page is served (to add or
 * remove users mid-sync).
 */
export class FakeAuthentik extends FakeIdpServer {
  token = 'ak-token-for-tests';
  readonly users: AkUser[] = [];
  readonly groups: AkGroup[] = [];
  onUsersPage: ((page: number) => void) | undefined;
  #pk = 0;
  #clock = Date.parse('2026-01-01T00:00:00Z');
  #memberIndex: { signature: string; map: Map<number, string[]> } | undefined;

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
    if (req.authorization !== `Bearer ${this.token}`) {
      return { status: 403, body: { detail: 'Authentication credentials were not provided.' } };
    }
    if (req.path === '/api/v3/core/users/') return this.#users(req.query);
    if (req.path === '/api/v3/core/groups/') return paginate(this.groups, req.query);
    return undefined;
  }

  #users(q: URLSearchParams): RouteReply {
    const page = Number(q.get('page') ?? 1);
    this.onUsersPage?.(page);
    let list = this.users;
    const since = q.get('last_updated__gt');
    if (since !== null) list = list.filter((u) => u.last_updated > since);
    const ordering = q.get('ordering');
    if (ordering === 'last_updated' || ordering === '-last_updated') {
      list = [...list].sort((a, b) => (a.last_updated < b.last_updated ? -1 : 1));
      if (ordering.startsWith('-')) list.reverse();
    }
    const withGroups = q.get('include_groups') !== 'false';
    const groupsOf = this.#membership();
    return paginate(list, q, (u) => ({ ...u, groups: groupsOf.get(u.pk) ?? [], ...(withGroups && { groups_obj: [] }) }));
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

  #tick(): string {
    this.#clock += 1000;
    return new Date(this.#clock).toISOString();
  }
}

/** Authentik's pagination envelope (authentik/api/pagination.py). */
function paginate<T>(items: readonly T[], q: URLSearchParams, render: (t: T) => unknown = (t) => t): RouteReply {
  const size = Number(q.get('page_size') ?? 100);
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
