import { ProviderError } from './provider-error.js';

/** One page of a listing. */
export interface Page<R> {
  readonly items: readonly R[];
  /** Whether another page follows. */
  readonly more: boolean;
  /** Size of the whole listing as the server counts it at this moment, if the page says; -1: it shrank under us. */
  readonly total?: number;
}

/** A paged listing (offset or page-number paging, the caller maps `index` to its parameters). */
export interface PagedListing<R> {
  /** Fetches page `index` (0-based). */
  page(index: number, signal: AbortSignal): Promise<Page<R>>;
  /** Current size of the listing, for APIs whose pages carry no total (Keycloak /users/count). */
  count?(signal: AbortSignal): Promise<number>;
}

/** How a stable collection went, for logs and the benchmark. */
export interface CollectReport {
  readonly passes: number;
  readonly requests: number;
  /** False when the listing kept changing and the union of the passes was used. */
  readonly stable: boolean;
}

/** Passes over a listing that changes while it is paged before giving up. */
const MAX_PASSES = 3;

/**
 * Reads every item of an offset-paged listing exactly once, even while users are added or
 * removed between pages. Offset paging shifts under writes: an insert before the current offset
 * shows one item twice, a delete hides one. Items are deduplicated by immutable id, and a pass is
 * trusted only if the total did not change during it and the pass saw exactly that many distinct
 * items; otherwise the listing is read again (up to MAX_PASSES). If it never settles, the union of
 * all passes is used when it covers the final total, else PROVIDER_INCONSISTENT. Two quiet passes
 * that agree are accepted even when the total disagrees with them. `map` turns a
 * raw item into what is kept (null: seen, not kept), so raw JSON never piles up in memory;
 * `onPass` runs before each pass (counters restart).
 */
export async function collectAll<R, T>(
  listing: PagedListing<R>,
  idOf: (raw: R) => string,
  map: (raw: R) => T | null,
  signal: AbortSignal,
  onPass?: () => void,
): Promise<{ items: Map<string, T | null>; report: CollectReport }> {
  const union = new Map<string, T | null>();
  let requests = 0;
  let lastTotal: number | undefined;
  let previous: Map<string, T | null> | undefined;
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    onPass?.();
    const p = await readPass(listing, idOf, map, signal);
    requests += p.requests;
    for (const [id, v] of p.seen) union.set(id, v);
    lastTotal = p.after;
    // Two quiet passes with the same ids are consistent even if the total counts something the
    // listing leaves out (a count that includes service accounts, say).
    const quiet = p.before === p.after;
    if (p.after === undefined || (quiet && (p.seen.size === p.after || sameKeys(p.seen, previous)))) {
      return { items: p.seen, report: { passes: pass, requests, stable: true } };
    }
    previous = quiet ? p.seen : undefined;
  }
  if (lastTotal !== undefined && union.size >= lastTotal) {
    return { items: union, report: { passes: MAX_PASSES, requests, stable: false } };
  }
  throw new ProviderError('PROVIDER_INCONSISTENT',
    `listing kept changing during ${MAX_PASSES} passes: ${union.size} distinct items seen, ${lastTotal} reported`);
}

/** One pass over the listing: the items by id, and the totals before and after it. */
async function readPass<R, T>(
  listing: PagedListing<R>,
  idOf: (raw: R) => string,
  map: (raw: R) => T | null,
  signal: AbortSignal,
): Promise<{ seen: Map<string, T | null>; before?: number; after?: number; requests: number }> {
  const seen = new Map<string, T | null>();
  let requests = 0;
  let before = listing.count ? (requests++, await listing.count(signal)) : undefined;
  let last: number | undefined;
  for (let index = 0; ; index++) {
    const page = await listing.page(index, signal);
    requests++;
    for (const raw of page.items) seen.set(idOf(raw), map(raw));
    before ??= page.total;
    last = page.total;
    if (!page.more) break;
    if (index > 1_000_000) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'listing never ends (over a million pages)');
  }
  const after = listing.count ? (requests++, await listing.count(signal)) : last;
  return { seen, ...(before !== undefined && { before }), ...(after !== undefined && { after }), requests };
}

function sameKeys(a: Map<string, unknown>, b: Map<string, unknown> | undefined): boolean {
  if (!b || a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

/** Reads a small offset-paged listing whose pages carry no total (group members, events). */
export async function collectSimple<R>(page: (index: number) => Promise<Page<R>>): Promise<R[]> {
  const out: R[] = [];
  for (let index = 0; ; index++) {
    const p = await page(index);
    out.push(...p.items);
    if (!p.more) return out;
  }
}
