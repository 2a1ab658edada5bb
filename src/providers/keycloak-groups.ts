import type { GroupTree } from './group-tree.js';
import type { ProviderGroup } from './group-tree.js';
import type { HttpClient } from './http-client.js';
import { asObject, idString } from './idp-options.js';
import { collectSimple, type Page } from './paging.js';
import { ProviderError } from './provider-error.js';

type Json = Record<string, unknown>;

/** Reads Keycloak groups: the hierarchy with attributes, and members of the groups that matter. */
export class KeycloakGroups {
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #pageSize: number;

  constructor(http: HttpClient, realmBase: string, pageSize: number) {
    this.#http = http;
    this.#base = realmBase;
    this.#pageSize = pageSize;
  }

  /**
   * Every group with its subgroups, without members. Keycloak 23+ lists only top-level groups
   * and reports `subGroupCount`, the children come from /groups/{id}/children; older versions
   * nest `subGroups` inline, which is used when there is no count.
   */
  async hierarchy(signal: AbortSignal): Promise<ProviderGroup[]> {
    const out: ProviderGroup[] = [];
    const top = await this.#all(`${this.#base}/groups`, { briefRepresentation: false }, signal);
    const queue: { raw: Json; parent?: string }[] = top.map((raw) => ({ raw }));
    while (queue.length > 0) {
      const { raw, parent } = queue.shift()!;
      const id = idString(raw.id);
      if (id === undefined) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'keycloak: a group has no id');
      out.push({
        id, name: typeof raw.name === 'string' ? raw.name : '', ...(typeof raw.path === 'string' && { path: raw.path }),
        parentIds: parent ? [parent] : [], attributes: asObject(raw.attributes) ?? {}, memberIds: [],
      });
      const children = typeof raw.subGroupCount === 'number'
        ? raw.subGroupCount > 0 ? await this.#all(`${this.#base}/groups/${encodeURIComponent(id)}/children`, { briefRepresentation: false }, signal) : []
        : Array.isArray(raw.subGroups) ? raw.subGroups.map(asObject).filter((g): g is Json => g !== undefined) : [];
      for (const c of children) queue.push({ raw: c, parent: id });
    }
    return out;
  }

  /** The same groups with the direct members of those in `wanted` filled in. */
  async withMembers(tree: GroupTree, wanted: ReadonlySet<string>, signal: AbortSignal): Promise<ProviderGroup[]> {
    const out: ProviderGroup[] = [];
    for (const g of tree.groups) {
      if (!wanted.has(g.id)) { out.push(g); continue; }
      const members = await this.#all(`${this.#base}/groups/${encodeURIComponent(g.id)}/members`, { briefRepresentation: true }, signal);
      out.push({ ...g, memberIds: members.map((m) => idString(m.id)).filter((m): m is string => m !== undefined) });
    }
    return out;
  }

  /** Direct group ids of one user (for the mailbox group in incremental updates). */
  async ofUser(userId: string, signal: AbortSignal): Promise<string[]> {
    const groups = await this.#all(`${this.#base}/users/${encodeURIComponent(userId)}/groups`, { briefRepresentation: true }, signal);
    return groups.map((g) => idString(g.id)).filter((g): g is string => g !== undefined);
  }

  #all(path: string, query: Record<string, boolean>, signal: AbortSignal): Promise<Json[]> {
    const page = keycloakPager(this.#http, path, query, this.#pageSize);
    return collectSimple((index) => page(index, signal));
  }
}

/**
 * Pages through a Keycloak `first`/`max` listing (each page a bare JSON array). It advances by
 * what actually arrived, and a page counts as the last only when it is shorter than the widest
 * page seen (or empty), so a server or proxy that caps `max` below the page size asked for cannot
 * make users silently vanish. Page 0 restarts the listing.
 */
export function keycloakPager(http: HttpClient, path: string, query: Record<string, string | boolean | readonly string[]>, size: number): (index: number, signal: AbortSignal) => Promise<Page<Json>> {
  let next = 0;
  let widest = 0;
  return async (index, signal) => {
    if (index === 0) [next, widest] = [0, 0];
    const first = next;
    const body = await http.getJson(path, { ...query, first, max: size }, signal);
    if (!Array.isArray(body) || body.some((item) => asObject(item) === undefined)) {
      throw new ProviderError('PROVIDER_BAD_RESPONSE', `keycloak: GET /${path}: expected a JSON array of objects`);
    }
    next = first + body.length;
    const more = body.length > 0 && body.length >= widest;
    widest = Math.max(widest, body.length);
    return { items: body as Json[], more };
  };
}
