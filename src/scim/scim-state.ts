import type { RecordSet } from '../directory/directory-data.js';
import { LayeredMap, type MapEdit } from '../directory/layered-map.js';
import type { Resource, ResourceKind } from './scim-resources.js';
import { runSteps, SCAN_STEP, type Steps } from '../directory/build-steps.js';
import type { ScimDraft } from './scim-draft.js';

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

/** The deletion guard's state kept in a snapshot's records (none yet: empty). */
export function guardOf(records: RecordSet | undefined): GuardState {
  return (records?.get(GUARD_KEY) as GuardState | undefined) ?? EMPTY_GUARD;
}
const cache = new WeakMap<RecordSet, ScimState>();
/** The state made or read last, which the next record set is most likely a few changes away from. */
let last: ScimState | undefined;

/**
 * The SCIM resources of one directory snapshot, indexed; built once per snapshot and cached. The
 * resources are read from the snapshot's record set itself; the indexes beside it (userNames,
 * group membership) are persistent maps, so the next request's state is derived from this one in
 * time proportional to what a write changed.
 */
export class ScimState {
  readonly records: RecordSet;
  /** Lower-case userName -> User id. */
  readonly userNames: LayeredMap<string>;
  readonly guard: GuardState;
  /** Member value (a user id) -> ids of the groups that list it, sorted. */
  readonly #memberOf: LayeredMap<readonly string[]>;
  /** Number of User records. */
  readonly #users: number;
  /** The resources of each kind, once a list asked for them ({@link resourcesSteps}). */
  readonly #byKind = new Map<ResourceKind, readonly Resource[]>();

  private constructor(records: RecordSet, userNames: LayeredMap<string>, memberOf: LayeredMap<readonly string[]>, users: number) {
    this.records = records;
    this.userNames = userNames;
    this.#memberOf = memberOf;
    this.#users = users;
    this.guard = guardOf(records);
  }

  /**
   * The state of a snapshot's records (cached by the record set). A record set this server did not
   * write itself (a replica's, patched from the log) is indexed from the last state's when both
   * share a base: only the keys that differ are read (at 100k users a full index is 60-100 ms).
   */
  static of(held: RecordSet | undefined): ScimState {
    return runSteps(ScimState.ofSteps(held));
  }

  /** {@link of} as steps (build-steps.ts): a full index of 100k users is 60-100 ms, so a write runs it in slices. */
  static *ofSteps(held: RecordSet | undefined): Steps<ScimState> {
    const records = held ?? LayeredMap.EMPTY;
    let state = cache.get(records);
    if (state) return (last = state);
    const changed = last?.records.keysChangedSince(records);
    state = (changed && changed.size < records.size / 2 && last!.#derive(records, [...changed].map((key) => [key, records.get(key) ?? null] as const))) || (yield* ScimState.#indexSteps(records));
    cache.set(records, state);
    return (last = state);
  }

  /** Indexes every record (a snapshot this server did not derive: a start, a read from Redis). */
  static *#indexSteps(records: RecordSet): Steps<ScimState> {
    const names = new Map<string, string>();
    const memberOf = new Map<string, string[]>();
    let users = 0;
    let read = 0;
    for (const [key, value] of records) {
      const { kind, id } = splitKey(key);
      if (kind === 'User') users++, names.set(userNameOf(value as Resource), id);
      else if (kind === 'Group') for (const member of memberIds(value as Resource)) (memberOf.get(member) ?? memberOf.set(member, []).get(member)!).push(id);
      if (++read % SCAN_STEP === 0) yield;
    }
    for (const groups of memberOf.values()) groups.sort();
    return new ScimState(records, LayeredMap.adopt(names), LayeredMap.adopt<readonly string[]>(memberOf), users);
  }

  /**
   * Caches the state of `records`, the record set a written `draft` left, from the draft's own base:
   * its indexes edited with the draft's changes, instead of indexing every record again (at 100k
   * users that was a fifth of each pushed write). Not when a userName is shared: which user it
   * names then follows the records' order, which only a full index sees.
   */
  static after(draft: ScimDraft, records: RecordSet): void {
    if (cache.has(records)) return;
    const state = draft.base.#derive(records, draft.changes);
    if (state) cache.set(records, (last = state));
  }

  /**
   * The state of `records`, which are this state's with `changes` (record key -> resource, null:
   * gone): the indexes edited, not rebuilt. Undefined when a userName is shared (which user it
   * names then follows the records' order, which only a full index sees).
   */
  #derive(records: RecordSet, changes: Iterable<readonly [string, unknown]>): ScimState | undefined {
    if (this.#users !== this.userNames.size) return undefined;
    const names = this.userNames.edit();
    const memberOf = this.#memberOf.edit();
    let users = this.#users;
    for (const [key, value] of changes) {
      const { kind, id } = splitKey(key);
      const next = (value as Resource | null) ?? undefined;
      if (kind === 'Group') moveMemberships(memberOf, id, this.get('Group', id), next);
      if (kind !== 'User') continue;
      if (next) {
        const holder = names.get(userNameOf(next));
        if (holder !== undefined && holder !== id) return undefined;
      }
      const prior = this.get('User', id);
      if (prior && names.get(userNameOf(prior)) === id) names.delete(userNameOf(prior));
      if (next) names.set(userNameOf(next), id);
      users += Number(next !== undefined) - Number(prior !== undefined);
    }
    return new ScimState(records, names.done(), memberOf.done(), users);
  }

  /** The stored resource of a kind by id. */
  get(kind: ResourceKind, id: string): Resource | undefined {
    return this.records.get(recordKey(kind, id)) as Resource | undefined;
  }

  /**
   * The only resources of a kind that can have `id`, or (Users) `userName` in any case, from the
   * index; undefined where the index cannot tell (a shared userName), and every resource is read.
   */
  candidates(kind: ResourceKind, attr: 'id' | 'username', value: string): Resource[] | undefined {
    if (attr === 'username' && (kind !== 'User' || this.#users !== this.userNames.size)) return undefined;
    const id = attr === 'id' ? value : this.userNames.get(value.toLowerCase());
    const found = id === undefined ? undefined : this.get(kind, id);
    return found ? [found] : [];
  }

  /**
   * Every stored resource of a kind, in the records' order, as steps: gathered once per state, so
   * an IdP paging through the collection (an import: a page of 100 at a time) reads the records
   * once, not once per page, and no page holds the event loop for the scan (45 ms at 100k users).
   */
  *resourcesSteps(kind: ResourceKind): Steps<readonly Resource[]> {
    const held = this.#byKind.get(kind);
    if (held) return held;
    const prefix = `${kind}/`;
    const out: Resource[] = [];
    let read = 0;
    for (const [key, value] of this.records) {
      if (key.startsWith(prefix)) out.push(value as Resource);
      if (++read % SCAN_STEP === 0) yield;
    }
    this.#byKind.set(kind, out);
    return out;
  }

  /** Groups that list `userId` among their members, by id. */
  groupsWith(userId: string): readonly string[] {
    return this.#memberOf.get(userId) ?? [];
  }
}

/** A record key's kind and id (the id may hold further slashes). */
function splitKey(key: string): { kind: string; id: string } {
  const slash = key.indexOf('/');
  return { kind: key.slice(0, slash), id: key.slice(slash + 1) };
}

function userNameOf(user: Resource): string {
  return String(user.userName).toLowerCase();
}

/** The member values of a group, each once. */
function memberIds(group: Resource | undefined): Set<string> {
  const ids = new Set<string>();
  for (const m of (group?.members as { value: unknown }[] | undefined) ?? []) if (typeof m.value === 'string') ids.add(m.value);
  return ids;
}

/** Updates the membership index for group `id` going from `before` to `after` (undefined: absent). */
function moveMemberships(memberOf: MapEdit<readonly string[]>, id: string, before: Resource | undefined, after: Resource | undefined): void {
  const [was, is] = [memberIds(before), memberIds(after)];
  for (const member of was) {
    if (is.has(member)) continue;
    const left = (memberOf.get(member) ?? []).filter((g) => g !== id);
    if (left.length > 0) memberOf.set(member, left);
    else memberOf.delete(member);
  }
  for (const member of is) {
    if (was.has(member)) continue;
    const groups = [...(memberOf.get(member) ?? [])];
    const at = groups.findIndex((g) => g > id);
    groups.splice(at < 0 ? groups.length : at, 0, id);
    memberOf.set(member, groups);
  }
}
