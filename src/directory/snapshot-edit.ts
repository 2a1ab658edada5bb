import { domainOf, lookupKey, normalizeDomain } from './address.js';
import type { DirectoryChange } from './directory-change.js';
import type { DirectoryPatch } from './directory-changes.js';
import type { ListEntry, MailboxEntry } from './directory-data.js';
import { LAYER_BITS } from './directory-layers.js';
import { buildIndexes } from './directory-builder.js';
import { KEY_LIST, type Directory } from './directory.js';
import { patchDirectory } from './indexed-directory.js';
import type { Steps } from './build-steps.js';

/** A batch of changes applied to a snapshot: the new snapshot and the patch between the two. */
export interface SnapshotEdit {
  readonly directory: Directory;
  /** Canonical entries put and addresses deleted: what a store writes for followers. */
  readonly patch: DirectoryPatch;
}

/**
 * What an edit of `base` reads that is made once per packed layer (its provider id table), made
 * in steps (build-steps.ts) so a caller can run it in slices first: at a million mailboxes it is a
 * tenth of a second, once per new layer.
 */
export function* editPreparationSteps(base: Directory): Steps<void> {
  for (const layer of base.parts.layers) yield* layer.index.ids.fillSteps();
}

/**
 * Applies a provider's changes (the leader's change feed, a re-read user) to a snapshot in time
 * proportional to the changes, for the cases where the result is sure to be what a full build of
 * `applyChanges(base.data, changes)` gives: mailbox changes whose entries are valid, whose keys
 * clash with nothing the snapshot keeps, that name no list sender, and that leave no implicit
 * domain empty. Anything else (a list change, a clash or a bad entry to report) answers
 * undefined, and the caller builds the directory whole as before. `records` (a push provider's
 * documents) are patched along.
 */
export function editSnapshot(base: Directory, changes: readonly DirectoryChange[], records?: DirectoryPatch['records']): SnapshotEdit | undefined {
  if (changes.some((c) => c.op !== 'upsert-mailbox' && c.op !== 'remove-mailbox')) return undefined;
  const table = new SnapshotTable(base);
  for (const c of changes) {
    if (c.op === 'upsert-mailbox' ? !table.upsert(c.mailbox) : c.op === 'remove-mailbox' && !table.remove(c)) return undefined;
  }
  const { put, del } = table.result();
  if (put.length + del.length === 0) {
    const patch: DirectoryPatch = { mailboxes: { put: [], del: [] }, lists: { put: [], del: [] }, ...(records && { records }) };
    return { directory: records ? patchDirectory(base, patch) : base, patch };
  }

  // The new entries, validated among themselves exactly as a build would.
  const explicit = base.explicitDomains;
  // Without an explicit list a domain is written as its last mailbox writes it, which only a
  // build sees whole: domains written in more than one form (IDN) are left to it.
  if (!explicit && [...del, ...put.map((m) => m.address)].some((a) => !plainlyWritten(base, a))) return undefined;
  const hosted = explicit ?? [...new Set([...hostedDomains(base), ...put.map((m) => domainOf(m.address))])];
  const built = buildIndexes({ domains: hosted, mailboxes: put }, { strict: false, source: 'changes' });
  if (built.problems.length > 0) return undefined;
  const layer = built.packed;
  // ...and against what the snapshot keeps: every key must be free once the touched mailboxes go.
  const touched = new Set([...del, ...put.map((m) => m.address.toLowerCase())]);
  const canonical: MailboxEntry[] = [];
  for (let i = 0; i < layer.mailboxCount; i++) {
    canonical.push(layer.mailboxEntry(i));
    for (let k = layer.mailboxKeys[i]!; k < layer.mailboxKeys[i + 1]!; k++) {
      const key = layer.key(k);
      const ref = base.findKey(key);
      if (ref >= 0 && (base.keyKind(ref) === KEY_LIST || !touched.has(base.mailboxAddress(base.keyTarget(ref))))) return undefined;
      if (changesListSender(base, key, canonical[i]!.address)) return undefined;
    }
  }
  const patch: DirectoryPatch = { mailboxes: { put: canonical, del }, lists: { put: [], del: [] }, ...(records && { records }) };
  const directory = patchDirectory(base, patch);
  // Without an explicit list a domain is hosted while it has a mailbox: one that empties drops
  // its aliases and lists in a build, which a patch does not do.
  if (!explicit && [...hostedDomains(base)].some((d) => directory.hostedDomain(d) === undefined)) return undefined;
  return { directory, patch };
}

/**
 * True when a build would now write a list sender differently: the builder replaces a sender
 * that names a mailbox or alias by that mailbox's address, so a sender spelled as `key` would
 * become `owner`. Lists are found by the local part (the same in every spelling of the address).
 */
function changesListSender(base: Directory, key: string, owner: string): boolean {
  if (key.startsWith('@')) return false;
  const local = key.slice(0, key.lastIndexOf('@') + 1);
  return listsContaining(base, JSON.stringify(local).slice(0, -1)).some((l) => l.senders?.some((s) => s !== owner && lookupKey(s) === key));
}

/** True when the domain of `address` is written in its ASCII form, here and by every mailbox of the snapshot. */
function plainlyWritten(base: Directory, address: string): boolean {
  const written = domainOf(address);
  const ascii = normalizeDomain(written);
  return ascii === written && base.parts.layers.every(({ index }) => index.domainNames.every((n) => n === ascii || normalizeDomain(n) !== ascii));
}

/** The live lists whose canonical JSON contains `text` (a native search, then each one parsed). */
function listsContaining(dir: Directory, text: string): ListEntry[] {
  const lists: ListEntry[] = [];
  for (const { index: p, dead } of dir.parts.layers) {
    for (const i of p.listsContaining(text)) if (!dead?.has(p.listKey[i]!)) lists.push(p.listEntry(i));
  }
  return lists;
}

/** Refs of the live mailboxes whose provider id is `id` (normally none or one). */
function mailboxRefsWithId(dir: Directory, id: string): number[] {
  const refs: number[] = [];
  dir.parts.layers.forEach(({ index: p, dead }, l) => {
    for (const i of p.mailboxesWithId(id)) if (!dead?.has(p.mailboxKeys[i]!)) refs.push((i << LAYER_BITS) | l);
  });
  return refs;
}

function hostedDomains(dir: Directory): Iterable<string> {
  return dir.parts.domains.keys();
}

/**
 * The entries of a snapshot as `EntryTable` (directory-changes.ts) sees them, with this batch's
 * changes on top: by lower-case address, ids tracked the same way. Reads the snapshot only for
 * the addresses and ids the changes name. Answers false where it cannot follow (an id held by
 * several mailboxes).
 */
class SnapshotTable {
  readonly #base: Directory;
  /** Address -> entry as changed by this batch; null: deleted. */
  readonly #entries = new Map<string, MailboxEntry | null>();
  /** Id -> address as changed by this batch; null: no longer held. */
  readonly #ids = new Map<string, string | null>();

  constructor(base: Directory) {
    this.#base = base;
  }

  upsert(entry: MailboxEntry): boolean {
    if (typeof entry?.address !== 'string') return false;
    const renamedFrom = entry.id === undefined ? undefined : this.#addressOfId(entry.id);
    if (renamedFrom === false) return false;
    if (renamedFrom !== undefined && renamedFrom !== entry.address.toLowerCase()) this.#delete(renamedFrom);
    this.#put(entry);
    return true;
  }

  remove(ref: { readonly id?: string; readonly address?: string }): boolean {
    const byId = ref.id !== undefined ? this.#addressOfId(ref.id) : undefined;
    if (byId === false) return false;
    const address = byId ?? ref.address;
    if (address !== undefined) this.#delete(address);
    return true;
  }

  /** What changed against the snapshot: entries to put, and snapshot addresses to delete. */
  result(): { put: MailboxEntry[]; del: string[] } {
    const put: MailboxEntry[] = [];
    const del: string[] = [];
    for (const [address, entry] of this.#entries) {
      if (entry) put.push(entry);
      else if (this.#baseEntry(address)) del.push(address);
    }
    return { put, del };
  }

  #put(entry: MailboxEntry): void {
    const key = entry.address.toLowerCase();
    const prior = this.#entry(key);
    if (prior?.id !== undefined) this.#ids.set(prior.id, null);
    this.#entries.set(key, entry);
    if (entry.id !== undefined) this.#ids.set(entry.id, key);
  }

  #delete(address: string): void {
    const key = address.toLowerCase();
    const prior = this.#entry(key);
    if (prior?.id !== undefined && this.#addressOfId(prior.id) === key) this.#ids.set(prior.id, null);
    this.#entries.set(key, null);
  }

  #entry(key: string): MailboxEntry | undefined {
    return this.#entries.has(key) ? (this.#entries.get(key) ?? undefined) : this.#baseEntry(key);
  }

  /** The snapshot's entry at exactly this lower-case address (not another spelling of its key). */
  #baseEntry(address: string): MailboxEntry | undefined {
    const key = lookupKey(address);
    const ref = key === undefined ? -1 : this.#base.mailboxRef(key);
    if (ref < 0 || this.#base.mailboxAddress(ref) !== address) return undefined;
    const mb = this.#base.mailboxAt(ref);
    return { address: mb.address, ...(mb.id !== undefined && { id: mb.id }) };
  }

  /** The address holding `id` now; false when the snapshot holds it more than once. */
  #addressOfId(id: string): string | undefined | false {
    if (this.#ids.has(id)) return this.#ids.get(id) ?? undefined;
    const refs = mailboxRefsWithId(this.#base, id);
    if (refs.length > 1) return false;
    return refs.length === 1 ? this.#base.mailboxAddress(refs[0]!) : undefined;
  }
}
