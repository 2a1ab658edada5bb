import { ProviderError } from './provider-error.js';

/** A group as every provider delivers it, reduced to what mapping needs. */
export interface ProviderGroup {
  /** Immutable id (Authentik group uuid, Keycloak group id). */
  readonly id: string;
  readonly name: string;
  /** Full path where the provider has one (Keycloak `/staff/sales`). */
  readonly path?: string;
  readonly parentIds: readonly string[];
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** Ids of the direct members (users). */
  readonly memberIds: readonly string[];
}

/**
 * Groups with their hierarchy. In both Authentik and Keycloak a member of a subgroup counts as a
 * member of every ancestor group, so the members of a group are those of its whole subtree.
 */
export class GroupTree {
  readonly groups: readonly ProviderGroup[];
  readonly #byId = new Map<string, ProviderGroup>();
  readonly #children = new Map<string, ProviderGroup[]>();

  constructor(groups: readonly ProviderGroup[]) {
    this.groups = groups;
    for (const g of groups) this.#byId.set(g.id, g);
    for (const g of groups) {
      for (const p of g.parentIds) {
        if (!this.#byId.has(p)) continue;
        const list = this.#children.get(p) ?? [];
        list.push(g);
        this.#children.set(p, list);
      }
    }
  }

  /** The group itself and every descendant (cycles, which Authentik allows by mistake, are cut). */
  subtree(id: string): ProviderGroup[] {
    const out: ProviderGroup[] = [];
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length > 0) {
      const g = this.#byId.get(stack.pop()!);
      if (!g || seen.has(g.id)) continue;
      seen.add(g.id);
      out.push(g);
      for (const c of this.#children.get(g.id) ?? []) stack.push(c.id);
    }
    return out;
  }

  /** Ids of the users in the group or any of its subgroups. */
  members(id: string): Set<string> {
    const out = new Set<string>();
    for (const g of this.subtree(id)) for (const m of g.memberIds) out.add(m);
    return out;
  }

  /**
   * Finds a group by path (`/staff/mail-users`) or by name. A name held by several groups is
   * refused: guessing would hand mailboxes to the wrong people.
   */
  find(nameOrPath: string): ProviderGroup {
    const byPath = this.groups.filter((g) => g.path === nameOrPath);
    const found = byPath.length > 0 ? byPath : this.groups.filter((g) => g.name === nameOrPath);
    if (found.length === 1) return found[0]!;
    const why = found.length === 0 ? 'does not exist' : `is the name of ${found.length} groups; give its path`;
    throw new ProviderError('PROVIDER_CONFIG', `provider.mapping.mailboxGroup: group "${nameOrPath}" ${why}`);
  }
}
