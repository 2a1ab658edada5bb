import type { ListEntry, MailboxEntry } from './directory-data.js';
import { hashAscii, hashBytes, sameBytes } from './key-bytes.js';
import type { PackedBuilder } from './packed-builder.js';

/** What an index key names. */
export const KEY_MAILBOX = 1;
export const KEY_ALIAS = 2;
export const KEY_LIST = 3;
export const KEY_CATCH_ALL = 4;

/** Mailbox flags. */
export const ENABLED = 1;
/** The mailbox's address is its key (lower-case ASCII, plain domain): replies are made from the key bytes. */
export const PLAIN = 2;

// Each key has one 16-byte record: where its bytes start and end, its info (kind in 3 bits, its
// target mailbox's ENABLED and PLAIN flags, its target's index) and the index of the key that
// names its reply (a mailbox's own key: the one an alias answers with). A hit reads its table
// slot, this record and the key's bytes, and the reply is copied from bytes it already read.
const REC = 4;
const KIND_MASK = 7;
const FLAGS_SHIFT = 3;
const TARGET_SHIFT = 5;

/**
 * One immutable layer of a snapshot, packed so that a million mailboxes cost a few typed arrays
 * and one string per key and per entry instead of an object graph per entry:
 * - every index key (mailbox, alias, list, `@domain` catch-all) in `keys`, found through an
 *   open-addressing hash table, with its kind and target in parallel typed arrays;
 * - every mailbox and list as its canonical JSON (what the store keeps), parsed only when a caller
 *   needs the whole entry (dict values, iteration, diffs).
 * The hash table keeps each key's hash beside its index, so a probe touches the key bytes only
 * when the hashes match: a lookup reads one table slot, the key, and the arrays of its entry.
 */
export class PackedIndex {
  readonly #keyBytes: Buffer;
  readonly #keyRec: Int32Array;
  readonly #table: Int32Array;
  readonly #mask: number;
  readonly #mailboxJson: { readonly bytes: Buffer; readonly offsets: Int32Array };
  /** Keys of mailbox i are keys[mailboxKeys[i]] .. keys[mailboxKeys[i + 1] - 1]; the first is its own. */
  readonly mailboxKeys: Int32Array;
  /** Index into `domainNames` of each mailbox's domain as written. */
  readonly mailboxDomain: Int32Array;
  readonly mailboxFlags: Uint8Array;
  readonly domainNames: readonly string[];
  /** Addresses that differ from their key (an IDN domain), by mailbox index. */
  readonly addressOverrides: ReadonlyMap<number, string>;
  readonly #listJson: { readonly bytes: Buffer; readonly offsets: Int32Array };
  /** Key index of each list. */
  readonly listKey: Int32Array;

  constructor(b: PackedBuilder) {
    const keys = b.keys.seal();
    this.#keyBytes = keys.bytes;
    this.mailboxFlags = Uint8Array.from(b.mailboxFlags.seal());
    const ownKeys = b.mailboxKeys;
    // A list key's flags stay 0 and it names itself; every other key names a mailbox, whose flags
    // and own key it carries.
    this.#keyRec = new Int32Array(REC * b.keyKind.length);
    for (let k = 0; k < b.keyKind.length; k++) {
      const kind = b.keyKind.at(k);
      const target = b.keyTarget.at(k);
      const list = kind === KEY_LIST;
      const r = REC * k;
      this.#keyRec[r] = keys.offsets[k]!;
      this.#keyRec[r + 1] = keys.offsets[k + 1]!;
      this.#keyRec[r + 2] = (target << TARGET_SHIFT) | ((list ? 0 : this.mailboxFlags[target]!) << FLAGS_SHIFT) | kind;
      this.#keyRec[r + 3] = list ? k : ownKeys.at(target);
    }
    this.#mailboxJson = b.mailboxJson.seal();
    this.mailboxKeys = b.mailboxKeys.seal(1);
    this.mailboxKeys[b.mailboxKeys.length] = b.mailboxKeysEnd;
    this.mailboxCount = b.mailboxJson.count;
    this.listCount = b.listJson.count;
    this.keyCount = b.keys.count;
    this.mailboxDomain = b.mailboxDomain.seal();
    this.domainNames = b.domainNames;
    this.addressOverrides = b.addressOverrides;
    this.#listJson = b.listJson.seal();
    this.listKey = b.listKey.seal();
    let size = 16;
    while (size < this.keyCount * 2) size *= 2;
    // Slot s is table[2s] (the key's hash) and table[2s + 1] (key index + 1; 0 is empty).
    this.#table = new Int32Array(2 * size);
    this.#mask = size - 1;
    for (let k = 0; k < this.keyCount; k++) {
      const h = b.keyHash.at(k);
      let slot = h & this.#mask;
      while (this.#table[2 * slot + 1] !== 0) slot = (slot + 1) & this.#mask;
      this.#table[2 * slot] = h;
      this.#table[2 * slot + 1] = k + 1;
    }
  }

  readonly mailboxCount: number;
  readonly listCount: number;
  /** Number of index keys. */
  readonly keyCount: number;

  /** Index of `key` among the keys, or -1. */
  find(key: string): number {
    const h = hashAscii(key);
    if (h < 0) {
      const bytes = Buffer.from(key, 'utf8');
      return this.findHashed(bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length));
    }
    const bytes = this.#keyBytes;
    const rec = this.#keyRec;
    const table = this.#table;
    const len = key.length;
    for (let slot = h & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const k = table[2 * slot + 1]!;
      if (k === 0) return -1;
      if (table[2 * slot] !== (h | 0)) continue;
      const from = rec[REC * (k - 1)]!;
      if (rec[REC * (k - 1) + 1]! - from === len) {
        let i = 0;
        while (i < len && bytes[from + i] === key.charCodeAt(i)) i++;
        if (i === len) return k - 1;
      }
    }
  }

  /** Index of the key held in `b[from..to]`, whose {@link hashBytes} is `h`, or -1. */
  findHashed(b: Uint8Array, from: number, to: number, h: number): number {
    const rec = this.#keyRec;
    const table = this.#table;
    const len = to - from;
    for (let slot = h & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const k = table[2 * slot + 1]!;
      if (k === 0) return -1;
      if (table[2 * slot] !== (h | 0)) continue;
      const start = rec[REC * (k - 1)]!;
      if (rec[REC * (k - 1) + 1]! - start === len && sameBytes(b, from, to, this.#keyBytes, start)) return k - 1;
    }
  }

  /** KEY_MAILBOX, KEY_ALIAS, KEY_LIST or KEY_CATCH_ALL: what key k names. */
  kindOf(k: number): number {
    return this.#keyRec[REC * k + 2]! & KIND_MASK;
  }

  /** The mailbox or list index key k names. */
  targetOf(k: number): number {
    return this.#keyRec[REC * k + 2]! >>> TARGET_SHIFT;
  }

  /** True when key k names a mailbox (its own key, an alias or a catch-all) that is enabled. */
  targetEnabled(k: number): boolean {
    return ((this.#keyRec[REC * k + 2]! >>> FLAGS_SHIFT) & ENABLED) !== 0;
  }

  /** True when key k names a mailbox whose address is its own key (replies copied from key bytes). */
  targetPlain(k: number): boolean {
    return ((this.#keyRec[REC * k + 2]! >>> FLAGS_SHIFT) & PLAIN) !== 0;
  }

  /** The key whose bytes make key k's reply: its mailbox's own key (a list key: itself). */
  replyKey(k: number): number {
    return this.#keyRec[REC * k + 3]!;
  }

  /** Index key k as a string (made on each call). */
  key(k: number): string {
    return this.#keyBytes.toString('utf8', this.#keyRec[REC * k]!, this.#keyRec[REC * k + 1]!);
  }

  /** The mailbox's own key: local part and ASCII domain. */
  mailboxKey(i: number): string {
    return this.key(this.mailboxKeys[i]!);
  }

  /** The list's key. */
  listKeyOf(i: number): string {
    return this.key(this.listKey[i]!);
  }

  /** The mailbox's canonical address (lower case, domain as written). */
  mailboxAddress(i: number): string {
    return this.addressOverrides.get(i) ?? this.mailboxKey(i);
  }

  enabled(i: number): boolean {
    return (this.mailboxFlags[i]! & ENABLED) !== 0;
  }

  /** True when mailbox i's address is its key, so replies can be copied from {@link keyBytes}. */
  plain(i: number): boolean {
    return (this.mailboxFlags[i]! & PLAIN) !== 0;
  }

  /** The buffer every key's UTF-8 bytes are in; key k is `keyStart(k)..keyEnd(k)`. */
  get keyBytes(): Buffer {
    return this.#keyBytes;
  }

  /** Where key k starts in {@link keyBytes}. */
  keyStart(k: number): number {
    return this.#keyRec[REC * k]!;
  }

  /** Where key k ends in {@link keyBytes}. */
  keyEnd(k: number): number {
    return this.#keyRec[REC * k + 1]!;
  }

  /** Mailbox i's canonical JSON, unparsed. */
  mailboxText(i: number): string {
    const { bytes, offsets } = this.#mailboxJson;
    return bytes.toString('utf8', offsets[i]!, offsets[i + 1]!);
  }

  /** List i's canonical JSON, unparsed. */
  listText(i: number): string {
    const { bytes, offsets } = this.#listJson;
    return bytes.toString('utf8', offsets[i]!, offsets[i + 1]!);
  }

  /**
   * Mailboxes whose canonical JSON may hold provider id `id`: every entry containing its
   * `,"id":` field text, found by a native search through the packed JSON rather than by parsing
   * each entry. The caller parses the candidates to confirm (another field can hold the same text).
   */
  mailboxesMentioningId(id: string): number[] {
    return entriesContaining(this.#mailboxJson, this.mailboxCount, `,"id":${JSON.stringify(id)}`);
  }

  /** Lists whose canonical JSON contains `text` (candidates for the caller to parse). */
  listsContaining(text: string): number[] {
    return entriesContaining(this.#listJson, this.listCount, text);
  }

  mailboxEntry(i: number): MailboxEntry {
    return JSON.parse(this.mailboxText(i)) as MailboxEntry;
  }

  listEntry(i: number): ListEntry {
    return JSON.parse(this.listText(i)) as ListEntry;
  }
}

/** Indexes of the entries of a packed JSON table whose text contains `text`, in order. */
function entriesContaining(table: { readonly bytes: Buffer; readonly offsets: Int32Array }, count: number, text: string): number[] {
  const { bytes, offsets } = table;
  const needle = Buffer.from(text, 'utf8');
  const found: number[] = [];
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    // The entry holding byte `at`: the last one starting at or before it.
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (offsets[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    if (found.at(-1) !== lo) found.push(lo);
  }
  return found;
}
