import { SCAN_STEP, type Steps } from './build-steps.js';
import { LAYER_BITS, type Layer } from './directory-layers.js';
import type { PackedIndex } from './packed-index.js';

/** Elements a step sorts in one run, or moves while merging runs: a millisecond or two. */
const RUN = 2048;

/**
 * Mailbox indexes of one packed layer sorted by address, in steps (build-steps.ts): runs of
 * {@link RUN} sorted one a step, then merged bottom-up a bounded stretch a step. A layer never
 * changes, so its order is kept with it (PackedIndex.sortedMailboxSteps) for every snapshot that
 * shares it; the entries a later patch killed are skipped when the layers are merged.
 */
export function* sortedLayerSteps(p: PackedIndex): Steps<Int32Array> {
  const n = p.mailboxCount;
  const addresses: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    addresses[i] = p.mailboxAddress(i);
    if (i % SCAN_STEP === SCAN_STEP - 1) yield;
  }
  // Addresses are unique within a layer (one build validated it).
  const before = (a: number, b: number): number => (addresses[a]! < addresses[b]! ? -1 : 1);
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let from = 0; from < n; from += RUN) {
    order.subarray(from, Math.min(n, from + RUN)).sort(before);
    yield;
  }
  let into = new Int32Array(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) yield* mergeSteps(order, into, lo, Math.min(n, lo + width), Math.min(n, lo + 2 * width), addresses);
    [order, into] = [into, order];
  }
  return order;
}

/** Merges the sorted stretches from[lo..mid] and from[mid..hi] into into[lo..hi], yielding every RUN moves. */
function* mergeSteps(from: Int32Array, into: Int32Array, lo: number, mid: number, hi: number, addresses: readonly string[]): Steps<void> {
  let a = lo;
  let b = mid;
  for (let k = lo; k < hi; k++) {
    if (b >= hi || (a < mid && addresses[from[a]!]! < addresses[from[b]!]!)) into[k] = from[a++]!;
    else into[k] = from[b++]!;
    if ((k - lo) % RUN === RUN - 1) yield;
  }
}

/**
 * Refs of every live mailbox of `layers`, sorted by address, in steps: each layer's own order
 * (sorted once per layer: after a patch only its small new layer is), merged across the layers
 * skipping dead entries. At a million mailboxes sorting took half a second per new snapshot; the
 * merge is a fraction of that. A user iteration (`doveadm -A`) starts with it.
 */
export function* sortedRefSteps(layers: readonly Layer[]): Steps<Int32Array> {
  const orders: Int32Array[] = [];
  for (const layer of layers) orders.push(yield* layer.index.sortedMailboxSteps());
  // Written into one array of the most there can be, in steps: at 1M, filtering and mapping the
  // order in one call held the event loop for 100 ms.
  const out = new Int32Array(orders.reduce((n, o) => n + o.length, 0));
  let n = 0;
  // One layer (a fresh build): its order is the answer, less what was killed.
  if (layers.length === 1) {
    const { index: p, dead } = layers[0]!;
    const order = orders[0]!;
    for (let k = 0; k < order.length; k++) {
      if (dead === undefined || !dead.has(p.mailboxKeys[order[k]!]!)) out[n++] = order[k]! << LAYER_BITS;
      if (k % SCAN_STEP === SCAN_STEP - 1) yield;
    }
    return n === out.length ? out : out.slice(0, n);
  }
  const at = new Int32Array(layers.length);
  const heads: (string | undefined)[] = [];
  // Layer l's next live entry in its order, and its address (undefined: the layer is done).
  const advance = (l: number): void => {
    const { index: p, dead } = layers[l]!;
    const order = orders[l]!;
    while (at[l]! < order.length && dead !== undefined && dead.has(p.mailboxKeys[order[at[l]!]!]!)) at[l]!++;
    heads[l] = at[l]! < order.length ? p.mailboxAddress(order[at[l]!]!) : undefined;
  };
  for (let l = 0; l < layers.length; l++) advance(l);
  for (;;) {
    // Live addresses are unique across the layers; at most eight layers, so a scan finds the least.
    let least = -1;
    for (let l = 0; l < layers.length; l++) if (heads[l] !== undefined && (least < 0 || heads[l]! < heads[least]!)) least = l;
    if (least < 0) break;
    out[n++] = (orders[least]![at[least]!]! << LAYER_BITS) | least;
    at[least]!++;
    advance(least);
    if (n % SCAN_STEP === 0) yield;
  }
  return n === out.length ? out : out.slice(0, n);
}
