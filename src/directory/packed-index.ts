import type { ListEntry, MailboxEntry } from './directory-data.js';
import { ENABLED, KeyTable, PLAIN, type KeyTableParts } from './key-table.js';
import type { PackedBuilder } from './packed-builder.js';
import type { SealedBytes } from './packed-tables.js';
import { IdTable } from './id-table.js';
import { sortedLayerSteps } from './sorted-refs.js';
import type { Steps } from './build-steps.js';

export { ENABLED, KEY_ALIAS, KEY_CATCH_ALL, KEY_LIST, KEY_MAILBOX, PLAIN } from './key-table.js';

/**
 * One immutable layer of a snapshot, packed so that a million mailboxes cost a few typed arrays
 * and buffers instead of an object graph per entry:
 * - every index key (mailbox, alias, list, `@domain` catch-all) with what it names, found through
 *   a hash table (key-table.ts, which this extends);
 * - every mailbox and list as its canonical JSON (what the store keeps), parsed only when a caller
 *   needs the whole entry (dict values, iteration, diffs).
 */
export class PackedIndex extends KeyTable {
  readonly #mailboxJson: SealedBytes;
  /** Keys of mailbox i are keys[mailboxKeys[i]] .. keys[mailboxKeys[i + 1] - 1]; the first is its own. */
  readonly mailboxKeys: Int32Array;
  /** Index into `domainNames` of each mailbox's domain as written. */
  readonly mailboxDomain: Int32Array;
  readonly domainNames: readonly string[];
  /** Addresses that differ from their key (an IDN domain), by mailbox index. */
  readonly addressOverrides: ReadonlyMap<number, string>;
  readonly #listJson: SealedBytes;
  #ids: IdTable | undefined;
  #sorted: Int32Array | undefined;
  /** Key index of each list. */
  readonly listKey: Int32Array;

  /** Key index of every `@domain` catch-all key. */
  readonly catchAllKeys: readonly number[];

  /** The layer of what `b` collected, its keys and JSON tables sealed (PackedBuilder.finishSteps). */
  constructor(b: PackedBuilder, keys: KeyTableParts, mailboxJson: SealedBytes, listJson: SealedBytes) {
    super(keys);
    this.#mailboxJson = mailboxJson;
    this.catchAllKeys = b.catchAllKeys;
    this.mailboxKeys = b.mailboxKeys.seal(1);
    this.mailboxKeys[b.mailboxKeys.length] = b.mailboxKeysEnd;
    this.mailboxCount = b.mailboxJson.count;
    this.listCount = b.listJson.count;
    this.mailboxDomain = b.mailboxDomain.seal();
    this.domainNames = b.domainNames;
    this.addressOverrides = b.addressOverrides;
    this.#listJson = listJson;
    this.listKey = b.listKey.seal();
  }

  readonly mailboxCount: number;
  readonly listCount: number;

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

  /** Mailbox i's canonical JSON, unparsed. */
  mailboxText(i: number): string {
    const { bytes, offsets } = this.#mailboxJson;
    return bytes.toString('utf8', offsets[i]!, offsets[i + 1]!);
  }

  /** Mailbox i's canonical JSON as a view of the layer's bytes (no copy; valid while the layer is). */
  mailboxBytes(i: number): Buffer {
    const { bytes, offsets } = this.#mailboxJson;
    return bytes.subarray(offsets[i]!, offsets[i + 1]!);
  }

  /** List i's canonical JSON as a view of the layer's bytes. */
  listBytes(i: number): Buffer {
    const { bytes, offsets } = this.#listJson;
    return bytes.subarray(offsets[i]!, offsets[i + 1]!);
  }

  /** List i's canonical JSON, unparsed. */
  listText(i: number): string {
    const { bytes, offsets } = this.#listJson;
    return bytes.toString('utf8', offsets[i]!, offsets[i + 1]!);
  }

  /** Mailbox indexes sorted by address (sorted-refs.ts), made on first use and kept with the layer. */
  *sortedMailboxSteps(): Steps<Int32Array> {
    return (this.#sorted ??= yield* sortedLayerSteps(this));
  }

  /** The table of this layer's provider ids (id-table.ts), made on first use. */
  get ids(): IdTable {
    return (this.#ids ??= new IdTable(this.#mailboxJson, this.mailboxCount));
  }

  /** Indexes of the mailboxes whose provider id is `id` (normally none or one). */
  mailboxesWithId(id: string): number[] {
    return this.ids.mailboxesWithId(id);
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
function entriesContaining(table: SealedBytes, count: number, text: string): number[] {
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
