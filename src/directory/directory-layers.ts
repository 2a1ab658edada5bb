import { runSteps, SCAN_STEP, type Steps } from './build-steps.js';
import type { PackedIndex } from './packed-index.js';

/** Bits of a ref that name the layer (so at most 8 layers; see indexed-directory.ts). */
export const LAYER_BITS = 3;
export const LAYER_MASK = (1 << LAYER_BITS) - 1;
/** Most layers a snapshot holds. */
export const MAX_LAYERS = 1 << LAYER_BITS;

/** One packed layer of a snapshot and the keys of it that later patches removed or replaced. */
export interface Layer {
  readonly index: PackedIndex;
  /**
   * Indexes of this layer's keys that no longer count (a later layer holds their new version, or
   * none does): numbers, so a lookup that finds a key checks it without making its string.
   */
  readonly dead: ReadonlySet<number> | undefined;
  /** Entries (mailboxes and lists) of this layer still live. */
  readonly live: number;
}

/**
 * Calls `fn(p, i, ref)` for every live mailbox of `layers` (or every live list, with `lists`),
 * oldest layer first; layers flagged in `skip` are left out.
 */
export function forEachLiveEntry(layers: readonly Layer[], lists: boolean, fn: (p: PackedIndex, i: number, ref: number) => void, skip?: readonly boolean[]): void {
  runSteps(liveEntrySteps(layers, lists, fn, skip));
}

/** {@link forEachLiveEntry} as steps (build-steps.ts), `step` entries a step. */
export function* liveEntrySteps(layers: readonly Layer[], lists: boolean, fn: (p: PackedIndex, i: number, ref: number) => void, skip?: readonly boolean[], step = SCAN_STEP): Steps<void> {
  for (let l = 0; l < layers.length; l++) {
    if (skip?.[l] === true) continue;
    const { index: p, dead } = layers[l]!;
    const keys = lists ? p.listKey : p.mailboxKeys;
    const n = lists ? p.listCount : p.mailboxCount;
    for (let from = 0; from < n; from += step) {
      const to = Math.min(n, from + step);
      for (let i = from; i < to; i++) if (dead === undefined || !dead.has(keys[i]!)) fn(p, i, (i << LAYER_BITS) | l);
      yield;
    }
  }
}

/** ASCII domain -> mailbox ref of its catch-all owner, over all layers (later ones win). */
export function catchAllsOf(layers: readonly Layer[]): Map<string, number> {
  const out = new Map<string, number>();
  layers.forEach((layer, l) => addCatchAlls(out, layer, l));
  return out;
}

/**
 * Updates `catchAlls` after the layers from `from` up were merged into `layers[from]`: only the
 * merged layer is read, so a merge costs the size of what it merged, not of the whole snapshot.
 * A domain has one live catch-all owner (the writer validated the directory), so dropping the
 * merged layers' refs loses no owner from below.
 */
export function remergeCatchAlls(catchAlls: Map<string, number>, layers: readonly Layer[], from: number): void {
  for (const [domain, ref] of catchAlls) if ((ref & LAYER_MASK) >= from) catchAlls.delete(domain);
  addCatchAlls(catchAlls, layers[from]!, from);
}

function addCatchAlls(out: Map<string, number>, { index: p, dead }: Layer, l: number): void {
  for (const k of p.catchAllKeys) if (!dead?.has(k)) out.set(p.key(k).slice(1), (p.targetOf(k) << LAYER_BITS) | l);
}
