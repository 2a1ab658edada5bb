import type { ListEntry, MailboxEntry } from './directory-data.js';

/** What an index key names. */
export const KEY_MAILBOX = 1;
export const KEY_ALIAS = 2;
export const KEY_LIST = 3;
export const KEY_CATCH_ALL = 4;

const ENABLED = 1;

/**
 * FNV-1a over the UTF-8 bytes of a key. Keys are short (an address), so this costs about what
 * V8's own string hash does, and the table can be a flat Int32Array instead of a Map entry per key.
 */
function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** The same hash straight from an ASCII string (the common lookup key), or -1 if it is not ASCII. */
function hashAscii(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Strings buffered before one write: a Buffer write per string costs more than the copy itself. */
const FLUSH_EVERY = 4096;

/**
 * Strings packed as UTF-8 into one growing Buffer with an offset per string: off the JS heap, so
 * a million of them are one allocation instead of a million heap objects for the collector.
 */
export class ByteTable {
  #buf = Buffer.allocUnsafeSlow(1 << 16);
  #offsets = new Int32Array(1024);
  #count = 0;
  #pending: string[] = [];
  #pendingFrom = 0;

  get count(): number {
    return this.#count;
  }

  push(s: string): void {
    if (this.#count + 2 > this.#offsets.length) {
      const grown = new Int32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    const bytes = NON_ASCII.test(s) ? Buffer.byteLength(s, 'utf8') : s.length;
    this.#offsets[this.#count + 1] = this.#offsets[this.#count]! + bytes;
    this.#count++;
    if (this.#pending.push(s) >= FLUSH_EVERY) this.#flush();
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const end = this.#offsets[this.#count]!;
    if (end > this.#buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(end, this.#buf.length * 2));
      this.#buf.copy(grown, 0, 0, this.#pendingFrom);
      this.#buf = grown;
    }
    this.#buf.write(this.#pending.join(''), this.#pendingFrom, 'utf8');
    this.#pending = [];
    this.#pendingFrom = end;
  }

  /** Trims the spare room: the table is read-only from here on. */
  seal(): { bytes: Buffer; offsets: Int32Array } {
    this.#flush();
    const end = this.#offsets[this.#count]!;
    const bytes = Buffer.allocUnsafeSlow(end);
    this.#buf.copy(bytes, 0, 0, end);
    return { bytes, offsets: this.#offsets.slice(0, this.#count + 1) };
  }
}

/**
 * One immutable layer of a snapshot, packed so that a million mailboxes cost a few typed arrays
 * and one string per key and per entry instead of an object graph per entry:
 * - every index key (mailbox, alias, list, `@domain` catch-all) in `keys`, found through an
 *   open-addressing hash table, with its kind and target in parallel typed arrays;
 * - every mailbox and list as its canonical JSON (what the store keeps), parsed only when a caller
 *   needs the whole entry (dict values, iteration, diffs);
 * - the socketmap replies that never depend on the query, netstring-framed, in one Buffer: per
 *   mailbox `OK domain/local/` (virtual_mailbox_maps) and `OK address` (alias owner, sender login).
 */
export class PackedIndex {
  readonly #keyBytes: Buffer;
  readonly #keyOffsets: Int32Array;
  readonly keyKind: Uint8Array;
  /** Mailbox or list index of each key. */
  readonly keyTarget: Int32Array;
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
  /** Framed replies: mailbox i's mailbox reply at frameOffsets[2i], its address reply at [2i + 1]. */
  readonly frames: Buffer;
  readonly frameOffsets: Int32Array;
  readonly #listJson: { readonly bytes: Buffer; readonly offsets: Int32Array };
  /** Key index of each list. */
  readonly listKey: Int32Array;

  constructor(b: PackedBuilder) {
    ({ bytes: this.#keyBytes, offsets: this.#keyOffsets } = b.keys.seal());
    this.keyKind = Uint8Array.from(b.keyKind);
    this.keyTarget = Int32Array.from(b.keyTarget);
    this.#mailboxJson = b.mailboxJson.seal();
    this.mailboxKeys = new Int32Array(b.mailboxKeys.length + 1);
    this.mailboxKeys.set(b.mailboxKeys);
    this.mailboxKeys[b.mailboxKeys.length] = b.mailboxKeysEnd;
    this.mailboxCount = b.mailboxJson.count;
    this.listCount = b.listJson.count;
    this.keyCount = b.keys.count;
    this.mailboxDomain = Int32Array.from(b.mailboxDomain);
    this.mailboxFlags = Uint8Array.from(b.mailboxFlags);
    this.domainNames = b.domainNames;
    this.addressOverrides = b.addressOverrides;
    this.#listJson = b.listJson.seal();
    this.listKey = Int32Array.from(b.listKey);
    let size = 16;
    while (size < this.keyCount * 2) size *= 2;
    this.#table = new Int32Array(size);
    this.#mask = size - 1;
    const offsets = this.#keyOffsets;
    for (let k = 0; k < this.keyCount; k++) {
      let slot = hashBytes(this.#keyBytes, offsets[k]!, offsets[k + 1]!) & this.#mask;
      while (this.#table[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#table[slot] = k + 1;
    }
    ({ bytes: this.frames, offsets: this.frameOffsets } = b.frames.seal());
  }

  readonly mailboxCount: number;
  readonly listCount: number;
  /** Number of index keys. */
  readonly keyCount: number;

  /** Index of `key` among the keys, or -1. */
  find(key: string): number {
    const h = hashAscii(key);
    if (h < 0) return this.#findBytes(Buffer.from(key, 'utf8'));
    const bytes = this.#keyBytes;
    const offsets = this.#keyOffsets;
    const len = key.length;
    let slot = h & this.#mask;
    for (;;) {
      const k = this.#table[slot]!;
      if (k === 0) return -1;
      const from = offsets[k - 1]!;
      if (offsets[k]! - from === len) {
        let i = 0;
        while (i < len && bytes[from + i] === key.charCodeAt(i)) i++;
        if (i === len) return k - 1;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** {@link find} for a key with non-ASCII characters. */
  #findBytes(key: Buffer): number {
    const offsets = this.#keyOffsets;
    let slot = hashBytes(key, 0, key.length) & this.#mask;
    for (;;) {
      const k = this.#table[slot]!;
      if (k === 0) return -1;
      const from = offsets[k - 1]!;
      if (offsets[k]! - from === key.length && this.#keyBytes.compare(key, 0, key.length, from, offsets[k]!) === 0) return k - 1;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Index key k as a string (made on each call). */
  key(k: number): string {
    return this.#keyBytes.toString('utf8', this.#keyOffsets[k]!, this.#keyOffsets[k + 1]!);
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

  /** The framed `OK domain/local/` (which = 0) or `OK address` (which = 1) of mailbox i. */
  frame(i: number, which: 0 | 1): Buffer {
    const at = 2 * i + which;
    return this.frames.subarray(this.frameOffsets[at]!, this.frameOffsets[at + 1]!);
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

  mailboxEntry(i: number): MailboxEntry {
    return JSON.parse(this.mailboxText(i)) as MailboxEntry;
  }

  listEntry(i: number): ListEntry {
    return JSON.parse(this.listText(i)) as ListEntry;
  }
}

/** The socketmap reply payload of a mailbox: the conventional maildir-style `domain/local/`. */
export function mailboxReplyValue(domain: string, key: string): string {
  return `${domain}/${key.slice(0, key.lastIndexOf('@'))}/`;
}

/** `<bytes>:<payload>,` as a string. */
function netstring(payload: string): string {
  const bytes = NON_ASCII.test(payload) ? Buffer.byteLength(payload, 'utf8') : payload.length;
  return `${bytes}:${payload},`;
}

/** Collects validated entries (from the directory builder) and packs them into a {@link PackedIndex}. */
export class PackedBuilder {
  readonly keys = new ByteTable();
  readonly keyKind: number[] = [];
  readonly keyTarget: number[] = [];
  readonly mailboxJson = new ByteTable();
  /** Per mailbox: the netstrings of `OK domain/local/` and of `OK address`. */
  readonly frames = new ByteTable();
  readonly mailboxKeys: number[] = [];
  /** End of the last mailbox's keys (lists come after every mailbox). */
  mailboxKeysEnd = 0;
  readonly mailboxDomain: number[] = [];
  readonly mailboxFlags: number[] = [];
  readonly domainNames: string[] = [];
  readonly #domainIds = new Map<string, number>();
  readonly addressOverrides = new Map<number, string>();
  readonly listJson = new ByteTable();
  readonly listKey: number[] = [];

  /** Adds a canonical mailbox with its own key, its domain as written, and its accepted alias keys (`@domain` for a catch-all). */
  mailbox(entry: MailboxEntry, key: string, domain: string, aliasKeys: readonly string[]): void {
    if (this.listJson.count > 0) throw new Error('mailboxes must be added before lists');
    const i = this.mailboxJson.count;
    this.mailboxJson.push(JSON.stringify(entry));
    this.mailboxKeys.push(this.keys.count);
    this.#key(key, KEY_MAILBOX, i);
    for (const a of aliasKeys) this.#key(a, a.startsWith('@') ? KEY_CATCH_ALL : KEY_ALIAS, i);
    this.mailboxKeysEnd = this.keys.count;
    let d = this.#domainIds.get(domain);
    if (d === undefined) this.#domainIds.set(domain, (d = this.domainNames.push(domain) - 1));
    this.mailboxDomain.push(d);
    this.mailboxFlags.push(entry.enabled === false ? 0 : ENABLED);
    if (entry.address !== key) this.addressOverrides.set(i, entry.address);
    this.frames.push(netstring(`OK ${mailboxReplyValue(domain, key)}`));
    this.frames.push(netstring(`OK ${entry.address}`));
  }

  /** Adds a canonical list under its key. */
  list(entry: ListEntry, key: string): void {
    const i = this.listJson.count;
    this.listJson.push(JSON.stringify(entry));
    this.listKey.push(this.keys.count);
    this.#key(key, KEY_LIST, i);
  }

  #key(key: string, kind: number, target: number): void {
    this.keys.push(key);
    this.keyKind.push(kind);
    this.keyTarget.push(target);
  }

  finish(): PackedIndex {
    return new PackedIndex(this);
  }
}
