/**
 * The outcome of one lookup, before any protocol sees it. "Not found" is a value, not an error:
 * it is only ever produced from a complete directory. Everything uncertain is `unavailable`,
 * which every protocol turns into "try again later".
 */
export type LookupResult =
  | { readonly kind: 'found'; readonly value: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unavailable'; readonly reason: string }
  | { readonly kind: 'unknown-map'; readonly reason: string };

/** Shared constant for the common miss. */
export const NOT_FOUND: LookupResult = Object.freeze({ kind: 'not-found' });
