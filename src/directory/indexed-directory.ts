import { ENTRY_STEP, runSteps, type Steps } from './build-steps.js';
import { buildLayerSteps, keyOf, layerOf, mergeSmallLayersSteps, rebuildSteps, REDIS_SOURCE } from './layer-builds.js';
import { applyRecords, recordsBetween, stableJson, type DirectoryPatch } from './directory-changes.js';
import type { DirectoryData, ListEntry, MailboxEntry } from './directory-data.js';
import { LAYER_BITS, LAYER_MASK, remergeCatchAlls } from './directory-layers.js';
import { buildStoredIndexes, type StoredDirectory } from './directory-builder.js';
import { Directory, KEY_LIST } from './directory.js';
import { diffEntryTextSteps, LIST_ENTRIES, MAILBOX_ENTRIES, type EntryKind } from './entry-diff.js';
import { KEY_CATCH_ALL } from './packed-index.js';

/** A snapshot as a store keeps it (kept as a wrapper so stores can carry more beside it). */
export interface IndexedDirectory {
  readonly directory: Directory;
}

/** Patched entries (plus dead base keys) beyond which the next patch rebuilds the whole directory. */
const COMPACT_MIN = 20_000;
const COMPACT_FRACTION = 0.1;

/** Builds a snapshot from data read from Redis (written by a leader that validated it). */
export function indexDirectory(data: DirectoryData): IndexedDirectory {
  return { directory: Directory.build(data, { strict: false, source: REDIS_SOURCE }) };
}

/**
 * Builds a snapshot from a directory as Redis stores it: the same snapshot (and problems) as
 * {@link indexDirectory} of the parsed values, with canonical entries taken from their bytes.
 * (The store runs the same build in slices: buildStoredIndexSteps.)
 */
export function indexStoredDirectory(stored: StoredDirectory): IndexedDirectory {
  return { directory: Directory.fromIndexes(buildStoredIndexes(stored)) };
}

/** Applies a patch to a snapshot; see {@link patchDirectory}. */
export function patchIndexed(base: IndexedDirectory, patch: DirectoryPatch): IndexedDirectory {
  return { directory: patchDirectory(base.directory, patch) };
}

/**
 * Applies a patch in time proportional to the patch, not the directory: the packed layers of the
 * snapshot are shared, the keys of every entry the patch replaces or deletes are marked dead in
 * their own layer, and the entries it puts become a new small layer on top. Small layers are
 * merged as they pile up (each merge costs the size of the layers merged, like an LSM tree), and
 * once patched entries pass a tenth of the directory the next patch rebuilds it whole. The writer
 * validated the patched directory as a whole, so entries cannot clash; if the new layer still
 * reports a problem, or the explicit domain list changes, the patch falls back to a full build.
 */
export function patchDirectory(dir: Directory, patch: DirectoryPatch): Directory {
  return runSteps(patchSteps(dir, patch));
}

/** {@link patchDirectory} as steps (build-steps.ts): its builds, merges and rebuild run in slices. */
export function* patchSteps(dir: Directory, patch: DirectoryPatch): Steps<Directory> {
  const parts = dir.parts;
  const patched = parts.layers.reduce((n, l, i) => n + (i === 0 ? (l.dead?.size ?? 0) : l.live), 0);
  if (patch.domains !== undefined || patched > Math.max(COMPACT_MIN, parts.layers[0]!.live * COMPACT_FRACTION)) return yield* rebuildSteps(dir, patch);
  const layers = parts.layers.map((l) => ({ ...l }));
  const deadCopies = new Map<number, Set<number>>();
  const domains = new Map(parts.domains);
  const counts = parts.domainCounts && new Map(parts.domainCounts);
  const catchAlls = new Map(dir.catchAllRefs);
  let mailboxCount = parts.mailboxCount;

  const kill = (ref: number, from: number, to: number): void => {
    const l = ref & LAYER_MASK;
    const layer = layers[l]!;
    let dead = deadCopies.get(l);
    if (!dead) deadCopies.set(l, (dead = new Set(layer.dead)));
    for (let k = from; k < to; k++) {
      dead.add(k);
      if (layer.index.kindOf(k) !== KEY_CATCH_ALL) continue;
      const domain = layer.index.key(k).slice(1);
      if (catchAlls.get(domain) === ref) catchAlls.delete(domain);
    }
    layers[l] = { ...layer, dead, live: layer.live - 1 };
  };
  const seen = new Set<number>();
  const addresses = [...patch.mailboxes.del, ...patch.mailboxes.put.map((m) => m.address)];
  for (let j = 0; j < addresses.length; j++) {
    if (j % ENTRY_STEP === ENTRY_STEP - 1) yield;
    const address = addresses[j]!;
    const ref = dir.mailboxRef(keyOf(address) ?? '');
    if (ref < 0 || seen.has(ref)) continue;
    seen.add(ref);
    const p = layers[ref & LAYER_MASK]!.index;
    const i = ref >>> LAYER_BITS;
    kill(ref, p.mailboxKeys[i]!, p.mailboxKeys[i + 1]!);
    mailboxCount--;
    if (counts) uncount(counts, domains, p.mailboxKey(i));
  }
  for (const address of [...patch.lists.del, ...patch.lists.put.map((l) => l.address)]) {
    const k = dir.findKey(keyOf(address) ?? '');
    if (k < 0 || dir.keyKind(k) !== KEY_LIST || seen.has(-k - 2)) continue;
    seen.add(-k - 2);
    kill(k, k >>> LAYER_BITS, (k >>> LAYER_BITS) + 1);
  }

  const put = patch.mailboxes.put;
  if (put.length + patch.lists.put.length > 0) {
    const layer = yield* buildLayerSteps([...domains.values()], put, patch.lists.put);
    if (!layer) return yield* rebuildSteps(dir, patch);
    const l = layers.length;
    layers.push(layerOf(layer));
    mailboxCount += layer.mailboxCount;
    for (const k of layer.catchAllKeys) catchAlls.set(layer.key(k).slice(1), (layer.targetOf(k) << LAYER_BITS) | l);
    if (counts) for (let i = 0; i < layer.mailboxCount; i++) count(counts, domains, layer.mailboxKey(i), layer.domainNames[layer.mailboxDomain[i]!]!);
  }
  const merged = yield* mergeSmallLayersSteps(layers, [...domains.values()]);
  if (!merged) return yield* rebuildSteps(dir, patch);
  if (merged !== layers) remergeCatchAlls(catchAlls, merged, merged.length - 1);
  const records = applyRecords(parts.records, patch.records);
  return new Directory(
    { layers: merged, domains, explicitDomains: parts.explicitDomains, domainCounts: counts, mailboxCount, ...(records && { records }) },
    catchAlls,
  );
}

function count(counts: Map<string, number>, domains: Map<string, string>, key: string, written: string): void {
  const ascii = key.slice(key.lastIndexOf('@') + 1);
  counts.set(ascii, (counts.get(ascii) ?? 0) + 1);
  domains.set(ascii, written);
}

/** Without an explicit list, a domain is hosted while a mailbox is in it (as the builder does). */
function uncount(counts: Map<string, number>, domains: Map<string, string>, key: string): void {
  const ascii = key.slice(key.lastIndexOf('@') + 1);
  const left = (counts.get(ascii) ?? 1) - 1;
  if (left > 0) return void counts.set(ascii, left);
  counts.delete(ascii);
  domains.delete(ascii);
}

/**
 * The patch that turns `before` into `after`, as patchBetween(before.data, after.data) would give,
 * but comparing the canonical JSON the snapshots hold (entry-diff.ts) instead of parsing every
 * entry: only the entries that differ are parsed.
 */
export function patchBetweenDirectories(before: Directory, after: Directory): DirectoryPatch {
  return runSteps(patchBetweenSteps(before, after));
}

/** {@link patchBetweenDirectories} as steps (build-steps.ts). */
export function* patchBetweenSteps(before: Directory, after: Directory): Steps<DirectoryPatch> {
  function* changed<T extends { address: string }>(kind: EntryKind): Steps<{ put: T[]; del: string[] }> {
    const refs = yield* diffEntryTextSteps(before, after, kind);
    const parse = (dir: Directory, ref: number): T => JSON.parse(refs.textOf(dir, ref)) as T;
    return {
      put: [...refs.added.map((r) => parse(after, r)), ...refs.changed.filter((_r, j) => j % 2 === 1).map((r) => parse(after, r))],
      del: refs.removed.map((r) => parse(before, r).address.toLowerCase()),
    };
  }
  const mailboxes = yield* changed<MailboxEntry>(MAILBOX_ENTRIES);
  const lists = yield* changed<ListEntry>(LIST_ENTRIES);
  const domainsChanged = stableJson(before.explicitDomains ?? null) !== stableJson(after.explicitDomains ?? null);
  const records = recordsBetween(before.records, after.records);
  return {
    mailboxes, lists,
    ...(domainsChanged && { domains: after.explicitDomains ? [...after.explicitDomains] : null }),
    ...(records && { records }),
  };
}
