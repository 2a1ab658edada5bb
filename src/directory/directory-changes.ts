import type { DirectoryChange } from './directory-change.js';
import type { DirectoryData, ListEntry, MailboxEntry, RecordSet } from './directory-data.js';
import { LayeredMap } from './layered-map.js';
import { runSteps, SCAN_STEP, type Steps } from './build-steps.js';

/**
 * A change set keyed by canonical (lower-case) address: what a store writes and replays. Unlike
 * a provider's {@link DirectoryChange}s it never matches by id, so replaying it on any copy of
 * the same data gives the same result.
 */
export interface DirectoryPatch {
  readonly mailboxes: { readonly put: readonly MailboxEntry[]; readonly del: readonly string[] };
  readonly lists: { readonly put: readonly ListEntry[]; readonly del: readonly string[] };
  /** The new explicit domain list; null removes it (domains follow the mailboxes); absent keeps it. */
  readonly domains?: readonly string[] | null;
  /** Records (see DirectoryData.records) to put, by key, and keys to delete; absent: none. */
  readonly records?: { readonly put: Readonly<Record<string, unknown>>; readonly del: readonly string[] };
}

type Keyed = { address: string; id?: string };

/** An ordered, address-keyed copy of entries that supports replace-in-place. */
class EntryTable<T extends Keyed> {
  readonly #byAddress = new Map<string, T>();
  readonly #addressById = new Map<string, string>();

  constructor(entries: readonly T[]) {
    for (const e of entries) this.put(e);
  }

  /** Replaces the entry with the same id (a rename) or the same address, else appends. */
  upsert(entry: T): void {
    const renamedFrom = entry.id === undefined ? undefined : this.#addressById.get(entry.id);
    if (renamedFrom !== undefined && renamedFrom !== entry.address.toLowerCase()) this.delete(renamedFrom);
    this.put(entry);
  }

  /** Puts by address only (patch semantics). */
  put(entry: T): void {
    const key = entry.address.toLowerCase();
    const prior = this.#byAddress.get(key);
    if (prior?.id !== undefined) this.#addressById.delete(prior.id);
    this.#byAddress.set(key, entry);
    if (entry.id !== undefined) this.#addressById.set(entry.id, key);
  }

  delete(address: string): void {
    const key = address.toLowerCase();
    const prior = this.#byAddress.get(key);
    if (prior?.id !== undefined && this.#addressById.get(prior.id) === key) this.#addressById.delete(prior.id);
    this.#byAddress.delete(key);
  }

  /** Removes by id when given and known, else by address. */
  remove(ref: { readonly id?: string; readonly address?: string }): void {
    const address = (ref.id !== undefined ? this.#addressById.get(ref.id) : undefined) ?? ref.address;
    if (address !== undefined) this.delete(address);
  }

  entries(): T[] {
    return [...this.#byAddress.values()];
  }
}

/**
 * Applies a provider's single-entry changes to a directory, without touching anything else.
 * Upserts match by provider id first (so an address change moves the mailbox), then by address;
 * removals likewise. The input is not modified. The result is unvalidated: build a Directory from
 * it, exactly as from a full provider answer.
 */
export function applyChanges(data: DirectoryData, changes: readonly DirectoryChange[]): DirectoryData {
  return runSteps(applyChangeSteps(data, changes));
}

/** {@link applyChanges} as steps (build-steps.ts): the copy of every entry goes a slice at a time. */
export function* applyChangeSteps(data: DirectoryData, changes: readonly DirectoryChange[]): Steps<DirectoryData> {
  const mailboxes = yield* tableSteps<MailboxEntry>(data.mailboxes);
  const lists = yield* tableSteps<ListEntry>(data.lists ?? []);
  for (const change of changes) {
    switch (change.op) {
      case 'upsert-mailbox': mailboxes.upsert(change.mailbox); break;
      case 'remove-mailbox': mailboxes.remove(change); break;
      case 'upsert-list': lists.upsert(change.list); break;
      case 'remove-list': lists.remove(change); break;
    }
  }
  return withRecords(withDomains({ mailboxes: mailboxes.entries(), lists: lists.entries() }, data.domains), data.records);
}

/** An EntryTable of `entries`, {@link SCAN_STEP} a step. */
function* tableSteps<T extends Keyed>(entries: readonly T[]): Steps<EntryTable<T>> {
  const table = new EntryTable<T>([]);
  for (let i = 0; i < entries.length; i++) {
    table.put(entries[i]!);
    if (i % SCAN_STEP === SCAN_STEP - 1) yield;
  }
  return table;
}

/** Applies an address-keyed patch (see {@link DirectoryPatch}); the input is not modified. */
export function applyPatch(data: DirectoryData, patch: DirectoryPatch): DirectoryData {
  const mailboxes = new EntryTable<MailboxEntry>(data.mailboxes);
  const lists = new EntryTable<ListEntry>(data.lists ?? []);
  for (const a of patch.mailboxes.del) mailboxes.delete(a);
  for (const m of patch.mailboxes.put) mailboxes.put(m);
  for (const a of patch.lists.del) lists.delete(a);
  for (const l of patch.lists.put) lists.put(l);
  const domains = patch.domains === undefined ? data.domains : (patch.domains ?? undefined);
  const records = patch.records ? applyRecords(data.records && LayeredMap.fromObject(data.records), patch.records)?.toObject() : data.records;
  return withRecords(withDomains({ mailboxes: mailboxes.entries(), lists: lists.entries() }, domains), records);
}

/** Records after a records patch (undefined when none are left), in time proportional to the patch; the input is not modified. */
export function applyRecords(records: RecordSet | undefined, patch: DirectoryPatch['records']): RecordSet | undefined {
  if (!patch) return records;
  const next = patchRecords(records ?? LayeredMap.EMPTY, patch);
  return next.size > 0 ? next : undefined;
}

/** A record set with a records patch applied: its deletions first, then its puts (as Object.assign would). */
export function patchRecords(records: RecordSet, patch: NonNullable<DirectoryPatch['records']>): RecordSet {
  const edit = records.edit();
  for (const k of patch.del) edit.delete(k);
  for (const [k, v] of Object.entries(patch.put)) edit.set(k, v);
  return edit.done();
}

function withRecords(data: DirectoryData, records: DirectoryData['records']): DirectoryData {
  return records === undefined ? data : { ...data, records };
}

/** True when the patch changes nothing. */
export function isEmptyPatch(patch: DirectoryPatch): boolean {
  const records = patch.records ? Object.keys(patch.records.put).length + patch.records.del.length : 0;
  return patch.mailboxes.put.length + patch.mailboxes.del.length + patch.lists.put.length + patch.lists.del.length + records === 0 && patch.domains === undefined;
}

function withDomains(data: DirectoryData, domains: readonly string[] | undefined): DirectoryData {
  return domains === undefined ? data : { domains: [...domains], ...data };
}

/** Entries added, removed and changed between two versions, matched by lower-case address. */
export interface EntryDiff<T> {
  readonly added: T[];
  readonly removed: T[];
  readonly changed: { readonly before: T; readonly after: T }[];
}

/**
 * Compares two entry lists by address; an entry is changed when any field differs. Plain JSON is
 * compared first (canonical entries keep one field order, so this settles almost every pair fast);
 * only a mismatch pays for the key-sorted form.
 */
export function diffEntries<T extends Keyed>(before: readonly T[], after: readonly T[]): EntryDiff<T> {
  const old = new Map(before.map((e) => [e.address.toLowerCase(), e]));
  const diff: EntryDiff<T> = { added: [], removed: [], changed: [] };
  for (const e of after) {
    const key = e.address.toLowerCase();
    const prior = old.get(key);
    if (prior === undefined) diff.added.push(e);
    else if (prior !== e && JSON.stringify(prior) !== JSON.stringify(e) && stableJson(prior) !== stableJson(e)) diff.changed.push({ before: prior, after: e });
    old.delete(key);
  }
  diff.removed.push(...old.values());
  return diff;
}

/** The patch that turns `before` into `after` (both canonical data). */
export function patchBetween(before: DirectoryData, after: DirectoryData): DirectoryPatch {
  const m = diffEntries(before.mailboxes, after.mailboxes);
  const l = diffEntries(before.lists ?? [], after.lists ?? []);
  const domainsChanged = stableJson(before.domains ?? null) !== stableJson(after.domains ?? null);
  const records = recordsBetween(before.records && LayeredMap.fromObject(before.records), after.records && LayeredMap.fromObject(after.records));
  return {
    mailboxes: { put: [...m.added, ...m.changed.map((c) => c.after)], del: m.removed.map((e) => e.address.toLowerCase()) },
    lists: { put: [...l.added, ...l.changed.map((c) => c.after)], del: l.removed.map((e) => e.address.toLowerCase()) },
    ...(domainsChanged && { domains: after.domains ?? null }),
    ...(records && { records }),
  };
}

/**
 * The records patch between two record sets; undefined when they are equal. Same object: unchanged.
 * Sets from the same base are compared on the keys either changed since, not every key.
 */
export function recordsBetween(before: RecordSet | undefined, after: RecordSet | undefined): DirectoryPatch['records'] {
  if (before === after) return undefined;
  const [from, to] = [before ?? LayeredMap.EMPTY, after ?? LayeredMap.EMPTY];
  const keys = to.keysChangedSince(from) ?? allKeys(to, from);
  const put: Record<string, unknown> = {};
  const del: string[] = [];
  for (const k of keys) {
    const [was, is] = [from.get(k), to.get(k)];
    if (!to.has(k)) {
      if (from.has(k)) del.push(k);
    } else if (was !== is && stableJson(was) !== stableJson(is)) put[k] = is;
  }
  return Object.keys(put).length + del.length > 0 ? { put, del } : undefined;
}

/** Every key of either set, `first`'s in its order (a patch's puts follow the set it leads to). */
function allKeys(first: RecordSet, second: RecordSet): Set<string> {
  const keys = new Set<string>();
  for (const set of [first, second]) for (const [k] of set) keys.add(k);
  return keys;
}

/** JSON with object keys sorted, so field order never makes two equal entries differ. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
