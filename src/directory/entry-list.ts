import { ENTRY_STEP, type Steps } from './build-steps.js';

/** What a stored entry that is not JSON at all reads as (the build reports and skips it). */
export const NOT_JSON: unique symbol = Symbol('not JSON');

/**
 * The mailboxes or the lists one build reads: values already parsed (a file, a provider answer),
 * or the JSON each was stored as (a warm start from Redis), parsed only when the build needs the
 * whole entry (see stored-entry-scan.ts), and then once.
 */
export class EntryList {
  readonly length: number;
  readonly #values: readonly unknown[] | undefined;
  readonly #stored: readonly Buffer[] | undefined;
  readonly #parsed = new Map<number, unknown>();

  private constructor(values: readonly unknown[] | undefined, stored: readonly Buffer[] | undefined) {
    this.#values = values;
    this.#stored = stored;
    this.length = (values ?? stored)!.length;
  }

  /** Entries given as values. */
  static parsed(values: readonly unknown[]): EntryList {
    return new EntryList(values, undefined);
  }

  /** Entries given as their stored JSON (UTF-8). */
  static stored(values: readonly Buffer[]): EntryList {
    return new EntryList(undefined, values);
  }

  /**
   * About what these entries put in a packed layer, to reserve its tables up front: index keys
   * (own addresses and aliases) with their characters, and the characters of every address they
   * hold (a floor for their JSON). Stored entries count one key each and no characters. In steps
   * (build-steps.ts): at a million entries the count takes tens of milliseconds.
   */
  *sizeHintSteps(): Steps<{ keys: number; keyChars: number; textChars: number }> {
    if (!this.#values) return { keys: this.length, keyChars: 0, textChars: 0 };
    const n = { keys: 0, keyChars: 0, textChars: 0 };
    for (let from = 0; from < this.#values.length; from += ENTRY_STEP) {
      countSizes(this.#values, from, Math.min(this.#values.length, from + ENTRY_STEP), n);
      yield;
    }
    return { ...n, textChars: n.textChars + n.keyChars };
  }

  /** The stored JSON of entry i; undefined when the entries were given as values. */
  stored(i: number): Buffer | undefined {
    return this.#stored?.[i];
  }

  /** Bytes of all stored entries (0 for values). */
  storedBytes(): number {
    const stored = this.#stored ?? [];
    let n = 0;
    for (let i = 0; i < stored.length; i++) n += stored[i]!.byteLength;
    return n;
  }

  /** Entry i as a value: a stored one parsed (NOT_JSON when it is not JSON). */
  value(i: number): unknown {
    if (this.#values) return this.#values[i];
    if (this.#parsed.has(i)) return this.#parsed.get(i);
    let v: unknown;
    try {
      v = JSON.parse(this.#stored![i]!.toString('utf8'));
    } catch {
      v = NOT_JSON;
    }
    this.#parsed.set(i, v);
    return v;
  }
}

/** Adds the index keys, key characters and member characters of `values[from..to]` to `n`. */
function countSizes(values: readonly unknown[], from: number, to: number, n: { keys: number; keyChars: number; textChars: number }): void {
  for (let i = from; i < to; i++) {
    const e = values[i] as { address?: unknown; aliases?: unknown; members?: unknown } | null;
    n.keys++;
    if (typeof e?.address === 'string') n.keyChars += e.address.length;
    if (Array.isArray(e?.aliases)) for (const a of e.aliases) (n.keys++), (n.keyChars += typeof a === 'string' ? a.length : 0);
    if (Array.isArray(e?.members)) for (const m of e.members) n.textChars += typeof m === 'string' ? m.length + 3 : 0;
  }
}
