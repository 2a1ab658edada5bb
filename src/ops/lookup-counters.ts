/**
 * Lookup and protocol-error counts in fixed slots of one Float64Array: each (proto, map, result)
 * gets its slot the first time it is seen, and the hot path pays three Map reads of interned
 * strings and an increment, with no key built per lookup. The Prometheus registry reads the
 * counts only when scraped.
 */
export class LookupCounters {
  readonly #lookupSlots = new Map<string, Map<string, Map<string, number>>>();
  readonly #lookupNames: [string, string, string][] = [];
  #counts = new Float64Array(64);
  readonly #errors = new Map<string, number>();

  /** The slot of one (proto, map, result); callers on the hot path may keep it and call {@link count}. */
  slot(proto: string, map: string, result: string): number {
    let maps = this.#lookupSlots.get(proto);
    if (!maps) this.#lookupSlots.set(proto, (maps = new Map()));
    let results = maps.get(map);
    if (!results) maps.set(map, (results = new Map()));
    let slot = results.get(result);
    if (slot === undefined) {
      slot = this.#lookupNames.push([proto, map, result]) - 1;
      results.set(result, slot);
      if (slot >= this.#counts.length) {
        const grown = new Float64Array(this.#counts.length * 2);
        grown.set(this.#counts);
        this.#counts = grown;
      }
    }
    return slot;
  }

  /** Counts one lookup in a slot from {@link slot}. */
  count(slot: number): void {
    this.#counts[slot]!++;
  }

  /** Counts one answered lookup. */
  lookup(proto: string, map: string, result: string): void {
    const slot = this.#lookupSlots.get(proto)?.get(map)?.get(result) ?? this.slot(proto, map, result);
    this.#counts[slot]!++;
  }

  /** Counts one connection closed for malformed input. */
  protocolError(proto: string, code: string): void {
    const key = `${proto}\t${code}`;
    this.#errors.set(key, (this.#errors.get(key) ?? 0) + 1);
  }

  /** Lookup counts by proto, map and result (slots never counted are left out). */
  lookups(): { proto: string; map: string; result: string; count: number }[] {
    return this.#lookupNames
      .map(([proto, map, result], slot) => ({ proto, map, result, count: this.#counts[slot]! }))
      .filter((l) => l.count > 0);
  }

  /** Protocol error counts by proto and code. */
  protocolErrors(): { proto: string; code: string; count: number }[] {
    return [...this.#errors].map(([k, count]) => {
      const [proto, code] = k.split('\t') as [string, string];
      return { proto, code, count };
    });
  }
}
