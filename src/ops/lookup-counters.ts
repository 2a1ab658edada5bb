/**
 * Lookup and protocol-error counts, kept as plain integers: the hot path pays one Map update, and
 * the Prometheus registry reads them only when scraped.
 */
export class LookupCounters {
  readonly #lookups = new Map<string, number>();
  readonly #errors = new Map<string, number>();

  /** Counts one answered lookup. */
  lookup(proto: string, map: string, result: string): void {
    const key = `${proto}\t${map}\t${result}`;
    this.#lookups.set(key, (this.#lookups.get(key) ?? 0) + 1);
  }

  /** Counts one connection closed for malformed input. */
  protocolError(proto: string, code: string): void {
    const key = `${proto}\t${code}`;
    this.#errors.set(key, (this.#errors.get(key) ?? 0) + 1);
  }

  /** Lookup counts by proto, map and result. */
  lookups(): { proto: string; map: string; result: string; count: number }[] {
    return [...this.#lookups].map(([k, count]) => {
      const [proto, map, result] = k.split('\t') as [string, string, string];
      return { proto, map, result, count };
    });
  }

  /** Protocol error counts by proto and code. */
  protocolErrors(): { proto: string; code: string; count: number }[] {
    return [...this.#errors].map(([k, count]) => {
      const [proto, code] = k.split('\t') as [string, string];
      return { proto, code, count };
    });
  }
}
