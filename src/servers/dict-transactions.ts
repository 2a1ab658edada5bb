/** Open transactions tracked per connection (only to log what a client tried to write). */
const MAX_TRACKED = 64;
/** Keys of a refused transaction named in its log line; the rest are only counted. */
const LOGGED_KEYS = 5;

/** What a refused transaction tried to change: its first keys (never values: they may be secrets) and how many. */
export interface AttemptedWrite {
  readonly keys: readonly string[];
  readonly changes: number;
}

/**
 * The write transactions of one dict connection (B, then S/U/A, then C or R), kept only so that
 * the refusal of its commit can say which keys the client tried to change: mailroster is
 * read-only, and a client that writes through it is misconfigured.
 */
export class DictTransactions {
  readonly #open = new Map<number, { keys: string[]; changes: number }>();

  /** B<id>: a transaction begins (past the cap it is simply not tracked). */
  begin(id: number): void {
    if (this.#open.size < MAX_TRACKED) this.#open.set(id, { keys: [], changes: 0 });
  }

  /** S/U/A in transaction `id` names `key`. */
  change(id: number, key: string): void {
    const t = this.#open.get(id);
    if (t && t.changes++ < LOGGED_KEYS) t.keys.push(key);
  }

  /** C<id> or R<id>: the transaction ends; what it tried to change. */
  end(id: number): AttemptedWrite {
    const t = this.#open.get(id);
    this.#open.delete(id);
    return t ?? { keys: [], changes: 0 };
  }
}
