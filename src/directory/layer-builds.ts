import { addressKey, domainOf, parseAddress } from './address.js';
import { ENTRY_STEP, type Steps } from './build-steps.js';
import { applyRecords, type DirectoryPatch } from './directory-changes.js';
import type { ListEntry, MailboxEntry } from './directory-data.js';
import { buildIndexSteps, buildStoredIndexSteps } from './directory-builder.js';
import { liveEntrySteps, MAX_LAYERS, type Layer } from './directory-layers.js';
import { Directory } from './directory.js';
import { LIST_ENTRIES, MAILBOX_ENTRIES, type EntryKind } from './entry-diff.js';
import type { PackedIndex } from './packed-index.js';

// The builds a follower's patch can need (indexed-directory.ts): a layer for the entries a patch
// puts, a merge of two layers, and the whole directory rebuilt. All are steps (build-steps.ts):
// a merge can reach a tenth of the directory and a rebuild all of it, seconds at a million, and
// the store runs them in slices. Entries already in a layer are validated canonical JSON, so a
// merge or a rebuild packs their bytes as a warm start does (stored-build.ts), without parsing.

/** What problems of a follower's builds are reported as coming from. */
export const REDIS_SOURCE = 'redis';

/** The index key of an address, or undefined. */
export function keyOf(address: string): string | undefined {
  const parsed = parseAddress(address);
  return parsed && addressKey(parsed);
}

/** A layer from one build's packed index, every entry live. */
export function layerOf(index: PackedIndex): Layer {
  return { index, dead: undefined, live: index.mailboxCount + index.listCount };
}

/** A packed layer of already validated entries, or undefined if any is refused. */
export function* buildLayerSteps(hosted: string[], mailboxes: readonly MailboxEntry[], lists: readonly ListEntry[]): Steps<PackedIndex | undefined> {
  const domains = [...new Set([...hosted, ...mailboxes.map((m) => domainOf(m.address))])];
  const built = yield* buildIndexSteps({ domains, mailboxes, lists }, { strict: false, source: REDIS_SOURCE });
  return built.problems.length > 0 ? undefined : built.packed;
}

/**
 * Merges the newest layer into the one below while that one is at most twice its size (the base
 * is never merged here), and always when the ref bits would run out. Returns `layers` itself when
 * nothing was merged, undefined when a merged layer could not be built.
 */
export function* mergeSmallLayersSteps(layers: Layer[], hosted: string[]): Steps<Layer[] | undefined> {
  let out = layers;
  while (out.length > 2 && (out.length > MAX_LAYERS || out[out.length - 2]!.live <= 2 * out[out.length - 1]!.live)) {
    const pair = out.slice(-2);
    const mailboxes = yield* liveEntryBytes(pair, MAILBOX_ENTRIES);
    const lists = yield* liveEntryBytes(pair, LIST_ENTRIES);
    const built = yield* buildStoredIndexSteps({ domains: hosted, mailboxes, lists });
    if (built.problems.length > 0) return undefined;
    out = [...out.slice(0, -2), layerOf(built.packed)];
  }
  return out;
}

/** The whole directory with the patch applied, built from the live entries' bytes and the patch's entries. */
export function* rebuildSteps(dir: Directory, patch: DirectoryPatch): Steps<Directory> {
  const parts = dir.parts;
  const mailboxes = yield* patchedEntryBytes(dir, MAILBOX_ENTRIES, patch.mailboxes);
  const lists = yield* patchedEntryBytes(dir, LIST_ENTRIES, patch.lists);
  const domains = patch.domains === undefined ? parts.explicitDomains : (patch.domains ?? undefined);
  const records = applyRecords(parts.records, patch.records);
  return Directory.fromIndexes(yield* buildStoredIndexSteps({ ...(domains && { domains }), mailboxes, lists, ...(records && { records }) }));
}

/**
 * One kind's live entries as bytes after a patch section: a deleted entry left out, a put one in
 * the place of the entry with its key (else after all of them), as JSON the build parses.
 */
function* patchedEntryBytes(dir: Directory, kind: EntryKind, section: { readonly put: readonly { address: string }[]; readonly del: readonly string[] }): Steps<Buffer[]> {
  const swap = new Map<number, Buffer | null>();
  const appended: Buffer[] = [];
  for (let j = 0; j < section.del.length; j++) {
    const ref = kind.find(dir, keyOf(section.del[j]!) ?? '');
    if (ref >= 0) swap.set(ref, null);
    if (j % ENTRY_STEP === ENTRY_STEP - 1) yield;
  }
  for (let j = 0; j < section.put.length; j++) {
    const entry = section.put[j]!;
    const bytes = Buffer.from(JSON.stringify(entry));
    const ref = kind.find(dir, keyOf(entry.address) ?? '');
    if (ref >= 0) swap.set(ref, bytes);
    else appended.push(bytes);
    if (j % ENTRY_STEP === ENTRY_STEP - 1) yield;
  }
  const out = yield* liveEntryBytes(dir.parts.layers, kind, swap);
  for (const b of appended) out.push(b);
  return out;
}

/**
 * The bytes of every live entry of one kind in `layers`, oldest layer first, as views (no copy);
 * an entry whose ref is in `swap` is replaced by those bytes (null: left out).
 */
function* liveEntryBytes(layers: readonly Layer[], kind: EntryKind, swap?: ReadonlyMap<number, Buffer | null>): Steps<Buffer[]> {
  const out: Buffer[] = [];
  const lists = kind === LIST_ENTRIES;
  yield* liveEntrySteps(layers, lists, (p, i, ref) => {
    const instead = swap?.get(ref);
    if (instead === undefined) out.push(lists ? p.listBytes(i) : p.mailboxBytes(i));
    else if (instead !== null) out.push(instead);
  });
  return out;
}
