import { SCAN_STEP, type Steps } from './build-steps.js';
import { liveEntrySteps, type Layer } from './directory-layers.js';

/** Elements a step sorts in one run, or moves while merging runs: a millisecond or two. */
const RUN = 2048;

/**
 * Refs of every live mailbox of `layers`, sorted by address, in steps (build-steps.ts): at a
 * million mailboxes the sort takes half a second, and a user iteration (`doveadm -A`) starts with
 * it. Runs of {@link RUN} are sorted one a step, then merged bottom-up a bounded stretch a step.
 */
export function* sortedRefSteps(layers: readonly Layer[], addressOf: (ref: number) => string): Steps<Int32Array> {
  const refs: number[] = [];
  yield* liveEntrySteps(layers, false, (_p, _i, ref) => void refs.push(ref));
  const n = refs.length;
  const addresses: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    addresses[i] = addressOf(refs[i]!);
    if (i % SCAN_STEP === SCAN_STEP - 1) yield;
  }
  // Sorted as indexes into refs and addresses; addresses are unique within a snapshot.
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
  for (let i = 0; i < n; i++) order[i] = refs[order[i]!]!;
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
