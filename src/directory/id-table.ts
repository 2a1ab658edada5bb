import type { KeyHash } from './claim-table.js';
import { runSteps, SCAN_STEP, type Steps } from './build-steps.js';
import { hashBytes, sameBytes } from './key-bytes.js';
import type { SealedBytes } from './packed-tables.js';

// Canonical mailbox JSON starts `{"address":"<address>"` and, when the entry has a provider id,
// goes on `,"id":"<id>"` (directory-builder.ts writes the fields in one fixed order, and a stored
// entry is kept as it is only in that layout). An address or id with an escape in it is read by
// parsing the entry instead.
const ADDRESS_OPEN = Buffer.from('{"address":"');
const ID_OPEN = Buffer.from(',"id":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Which mailboxes of one packed layer hold each provider id, found without a string per entry:
 * an open-addressing table of (hash of the id's bytes, mailbox index) over the layer's JSON, the
 * id's bytes compared in place on a match. A layer never changes, so it is made once, when a
 * change feed or a SCIM write first asks (at 100k mailboxes 2 MB; in steps ahead of the edit, see
 * snapshot-edit.ts), and every snapshot that keeps the layer shares it: finding a user's mailbox
 * no longer searches every entry.
 */
export class IdTable {
  readonly #json: SealedBytes;
  /** Slot s: table[2s] the hash, table[2s + 1] the mailbox index + 1 (0: empty). */
  readonly #table: Int32Array;
  readonly #mask: number;
  /** Ids that need parsing to read (an escape in the address or the id), by id. */
  readonly #parsed = new Map<string, number[]>();
  readonly #hash: KeyHash;
  readonly #count: number;
  /** Entries entered so far: the table is filled in steps, or at once by the first lookup. */
  #filled = 0;

  /** The table of `count` entries of `json` (empty until filled); `hash` is replaceable so tests can force collisions. */
  constructor(json: SealedBytes, count: number, hash: KeyHash = hashBytes) {
    this.#json = json;
    this.#hash = hash;
    this.#count = count;
    let size = 16;
    while (size < count * 2) size *= 2;
    this.#table = new Int32Array(2 * size);
    this.#mask = size - 1;
  }

  /** Enters the entries not entered yet, {@link SCAN_STEP} a step (build-steps.ts); a lookup meanwhile enters the rest at once. */
  *fillSteps(): Steps<void> {
    while (this.#filled < this.#count) {
      const to = Math.min(this.#count, this.#filled + SCAN_STEP);
      for (let i = this.#filled; i < to; i++) {
        const at = this.#idAt(i);
        if (at === undefined) this.#addParsed(i);
        else if (at >= 0) this.#insert(this.#hash(this.#json.bytes, at, this.#idEnd(i, at)), i);
      }
      this.#filled = to;
      yield;
    }
  }

  /** Indexes of the mailboxes whose id is `id`, in order (normally none or one). */
  mailboxesWithId(id: string): number[] {
    if (this.#filled < this.#count) runSteps(this.fillSteps());
    const want = Buffer.from(id, 'utf8');
    const h = this.#hash(want, 0, want.length) | 0;
    const found: number[] = [];
    const { bytes } = this.#json;
    for (let slot = h & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const e = this.#table[2 * slot + 1]!;
      if (e === 0) break;
      if (this.#table[2 * slot] !== h) continue;
      const at = this.#idAt(e - 1)!;
      if (this.#idEnd(e - 1, at) - at === want.length && sameBytes(want, 0, want.length, bytes, at)) found.push(e - 1);
    }
    const parsed = this.#parsed.get(id);
    return parsed ? [...found, ...parsed].sort((a, b) => a - b) : found;
  }

  #insert(h: number, i: number): void {
    let slot = h & this.#mask;
    while (this.#table[2 * slot + 1] !== 0) slot = (slot + 1) & this.#mask;
    this.#table[2 * slot] = h | 0;
    this.#table[2 * slot + 1] = i + 1;
  }

  /** Where mailbox i's id starts in the JSON bytes; -1: it has none; undefined: parse the entry to tell. */
  #idAt(i: number): number | undefined {
    const { bytes, offsets } = this.#json;
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    if (end - start < ADDRESS_OPEN.length || !sameBytes(ADDRESS_OPEN, 0, ADDRESS_OPEN.length, bytes, start)) return undefined;
    let p = start + ADDRESS_OPEN.length;
    while (p < end && bytes[p] !== QUOTE && bytes[p] !== BACKSLASH) p++;
    if (p >= end || bytes[p] === BACKSLASH) return undefined;
    p++;
    if (end - p < ID_OPEN.length || !sameBytes(ID_OPEN, 0, ID_OPEN.length, bytes, p)) return -1;
    const at = p + ID_OPEN.length;
    const idEnd = this.#idEnd(i, at);
    return idEnd < end && bytes[idEnd] === QUOTE ? at : undefined;
  }

  /** Where mailbox i's id starting at `at` ends: its closing quote, a backslash (it needs parsing), or the entry's end. */
  #idEnd(i: number, at: number): number {
    const { bytes, offsets } = this.#json;
    const end = offsets[i + 1]!;
    let p = at;
    while (p < end && bytes[p] !== QUOTE && bytes[p] !== BACKSLASH) p++;
    return p;
  }

  #addParsed(i: number): void {
    const { bytes, offsets } = this.#json;
    const id = (JSON.parse(bytes.toString('utf8', offsets[i]!, offsets[i + 1]!)) as { id?: unknown }).id;
    if (typeof id !== 'string') return;
    const list = this.#parsed.get(id);
    if (list) list.push(i);
    else this.#parsed.set(id, [i]);
  }
}
