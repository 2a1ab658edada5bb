import type { Resource, ResourceKind } from './scim-resources.js';

/** One pushed removal held back by the deletion guard, applied by `mailroster sync --confirm-deletions`. */
export interface PendingRemoval {
  readonly id: string;
  /** `delete`: DELETE /Users/{id}; `disable`: the change to active=false. */
  readonly op: 'delete' | 'disable';
  /** When it was refused (ms since the epoch). */
  readonly at: number;
}

/** The deletion guard's shared state, kept as a record beside the directory. */
export interface GuardState {
  /** Times (ms) of the removals applied within the sliding window. */
  readonly removals: readonly number[];
  readonly pending: readonly PendingRemoval[];
}

/** Record keys: `User/<id>`, `Group/<id>`, and the guard. */
export const recordKey = (kind: ResourceKind, id: string): string => `${kind}/${id}`;
export const GUARD_KEY = 'Guard/deletions';

const EMPTY_GUARD: GuardState = { removals: [], pending: [] };
const EMPTY_RECORDS: Readonly<Record<string, unknown>> = Object.freeze({});
const cache = new WeakMap<object, ScimState>();

/** The SCIM resources of one directory snapshot, indexed; built once per snapshot and cached. */
export class ScimState {
  readonly records: Readonly<Record<string, unknown>>;
  readonly users: Map<string, Resource>;
  readonly groups: Map<string, Resource>;
  /** Lower-case userName -> User id. */
  readonly userNames: Map<string, string>;
  readonly guard: GuardState;

  private constructor(records: Readonly<Record<string, unknown>>, from?: ScimState) {
    this.records = records;
    this.users = new Map(from?.users);
    this.groups = new Map(from?.groups);
    this.userNames = new Map(from?.userNames);
    if (!from) for (const [key, value] of Object.entries(records)) this.#set(key, value as Resource);
    this.guard = (records[GUARD_KEY] as GuardState | undefined) ?? EMPTY_GUARD;
  }

  /** The state of a snapshot's records (cached by the records object). */
  static of(held: Readonly<Record<string, unknown>> | undefined): ScimState {
    const records = held ?? EMPTY_RECORDS;
    let state = cache.get(records);
    if (!state) cache.set(records, (state = new ScimState(records)));
    return state;
  }

  /**
   * Caches the state of `records`, the record set a written `draft` left, from the draft's own base:
   * its maps copied and the draft's changes applied, instead of indexing every record again (at
   * 100k users that was a fifth of each pushed write). Not when a userName is shared: which user
   * it names then follows the records' order, which only a full index sees.
   */
  static after(draft: ScimDraft, records: Readonly<Record<string, unknown>>): void {
    if (cache.has(records) || draft.base.users.size !== draft.base.userNames.size) return;
    const state = new ScimState(records, draft.base);
    for (const [key, value] of draft.changes) {
      const user = value as Resource | null;
      if (user && key.startsWith('User/')) {
        const holder = state.userNames.get(String(user.userName).toLowerCase());
        if (holder !== undefined && recordKey('User', holder) !== key) return;
      }
      state.#set(key, user);
    }
    cache.set(records, state);
  }

  /** Indexes record `key` as `value` (null: deleted). */
  #set(key: string, value: Resource | null): void {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const id = key.slice(slash + 1);
    if (kind === 'User') {
      const prior = this.users.get(id);
      if (prior && this.userNames.get(String(prior.userName).toLowerCase()) === id) this.userNames.delete(String(prior.userName).toLowerCase());
      if (value === null) this.users.delete(id);
      else this.users.set(id, value), this.userNames.set(String(value.userName).toLowerCase(), id);
    } else if (kind === 'Group') {
      if (value === null) this.groups.delete(id);
      else this.groups.set(id, value);
    }
  }

  /** The stored resource of a kind by id. */
  get(kind: ResourceKind, id: string): Resource | undefined {
    return (kind === 'User' ? this.users : this.groups).get(id);
  }

  /** Groups that list `userId` among their members. */
  groupsWith(userId: string): string[] {
    const out: string[] = [];
    for (const [id, g] of this.groups) if (((g.members as { value: string }[] | undefined) ?? []).some((m) => m.value === userId)) out.push(id);
    return out;
  }
}

/** The resource changes one request makes, before they are mapped and written. */
export class ScimDraft {
  readonly base: ScimState;
  /** Record key -> new value; null deletes. */
  readonly changes = new Map<string, unknown>();
  readonly touchedUsers = new Set<string>();
  readonly touchedGroups = new Set<string>();
  /** Mailbox removals this draft makes (for the deletion guard). */
  readonly removals: Omit<PendingRemoval, 'at'>[] = [];

  constructor(base: ScimState) {
    this.base = base;
  }

  /** The resource as this draft leaves it (undefined: absent or deleted). */
  get(kind: ResourceKind, id: string): Resource | undefined {
    const key = recordKey(kind, id);
    return this.changes.has(key) ? ((this.changes.get(key) as Resource | null) ?? undefined) : this.base.get(kind, id);
  }

  put(kind: ResourceKind, resource: Resource): void {
    const id = resource.id as string;
    const prior = this.get(kind, id);
    this.changes.set(recordKey(kind, id), resource);
    if (kind === 'User') {
      this.touchedUsers.add(id);
      if (prior && prior.active !== false && resource.active === false) this.removals.push({ id, op: 'disable' });
    } else this.touchedGroups.add(id);
  }

  /** Deletes a resource; a deleted User also leaves every group it was in. */
  delete(kind: ResourceKind, id: string): void {
    this.changes.set(recordKey(kind, id), null);
    if (kind === 'Group') return void this.touchedGroups.add(id);
    this.touchedUsers.add(id);
    this.removals.push({ id, op: 'delete' });
    for (const gid of this.base.groupsWith(id)) {
      const g = this.get('Group', gid);
      if (!g) continue;
      this.put('Group', { ...g, members: ((g.members as { value: string }[] | undefined) ?? []).filter((m) => m.value !== id) });
    }
  }

  setGuard(guard: GuardState): void {
    this.changes.set(GUARD_KEY, guard);
  }

  /** The record set after this draft. */
  records(): Record<string, unknown> {
    const next: Record<string, unknown> = { ...this.base.records };
    for (const [k, v] of this.changes) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    return next;
  }
}
