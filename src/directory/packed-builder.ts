import type { ListEntry, MailboxEntry } from './directory-data.js';
import { ENABLED, KEY_ALIAS, KEY_CATCH_ALL, KEY_LIST, KEY_MAILBOX, PackedIndex, PLAIN } from './packed-index.js';
import { hashString } from './key-bytes.js';
import { runSteps, type Steps } from './build-steps.js';
import { keyTableSteps } from './key-table.js';
import { ByteTable, IntList } from './packed-tables.js';
import type { EntryScan } from './stored-entry-scan.js';

const AT = 0x40;

/** Collects validated entries (from the directory builder) and packs them into a {@link PackedIndex}. */
export class PackedBuilder {
  readonly keys = new ByteTable();
  readonly keyKind = new IntList();
  readonly keyTarget = new IntList();
  /** {@link hashBytes} of each key's bytes, for the index's hash table. */
  readonly keyHash = new IntList();
  readonly mailboxJson = new ByteTable();
  readonly mailboxKeys = new IntList();
  /** End of the last mailbox's keys (lists come after every mailbox). */
  mailboxKeysEnd = 0;
  readonly mailboxDomain = new IntList();
  readonly mailboxFlags = new IntList();
  readonly domainNames: string[] = [];
  readonly #domainIds = new Map<string, number>();
  readonly addressOverrides = new Map<number, string>();
  readonly listJson = new ByteTable();
  readonly listKey = new IntList();
  /** Key index of every `@domain` catch-all key (a handful), so no one scans all keys for them. */
  readonly catchAllKeys: number[] = [];

  /**
   * Reserves every table for about this many entries at once. Growing by doubling leaves the
   * smaller copies behind, and glibc keeps such freed blocks resident (at 1M mailboxes, with the
   * claim table's blocks: 124 MB of glibc heap after the build, 44 MB now; the start is about 13%
   * quicker).
   */
  reserve(n: { mailboxes: number; lists: number; keys: number; keyBytes: number; mailboxBytes: number; listBytes: number }): void {
    // What the index keeps is reserved on its own; what it only reads while it is made, together.
    IntList.reserveDropped([this.keyKind, this.keyTarget, this.keyHash], n.keys);
    IntList.reserveDropped([this.mailboxFlags], n.mailboxes);
    this.mailboxDomain.reserve(n.mailboxes);
    // Sealed with one slot more: the end of the last mailbox's keys.
    this.mailboxKeys.reserve(n.mailboxes + 1);
    this.listKey.reserve(n.lists);
    this.keys.reserve(n.keyBytes, n.keys);
    this.mailboxJson.reserve(n.mailboxBytes, n.mailboxes);
    this.listJson.reserve(n.listBytes, n.lists);
  }

  /** Adds a canonical mailbox with its own key, its domain as written, and its accepted alias keys (`@domain` for a catch-all); returns its index. */
  mailbox(entry: MailboxEntry, key: string, domain: string, aliasKeys: readonly string[]): number {
    const i = this.#startMailbox();
    this.mailboxJson.push(JSON.stringify(entry));
    this.#key(key, KEY_MAILBOX, i);
    for (const a of aliasKeys) this.#key(a, a.startsWith('@') ? KEY_CATCH_ALL : KEY_ALIAS, i);
    const plain = entry.address === key && domain === key.slice(key.lastIndexOf('@') + 1);
    if (entry.address !== key) this.addressOverrides.set(i, entry.address);
    return this.#endMailbox(i, domain, (entry.enabled === false ? 0 : ENABLED) | (plain ? PLAIN : 0));
  }

  /**
   * Adds a stored mailbox whose JSON `b` is canonical, with the keys `s` found in it, all accepted:
   * its bytes are kept as they are. Its address is its key, in `domain`. Returns its index.
   */
  storedMailbox(b: Buffer, s: EntryScan, domain: string): number {
    const i = this.#startMailbox();
    this.mailboxJson.pushBytes(b, 0, b.length);
    this.#keyBytes(b, s.from, s.to, s.hash, KEY_MAILBOX, i);
    for (let j = 0; j < s.aliases; j++) this.#keyBytes(b, s.aliasFrom[j]!, s.aliasTo[j]!, s.aliasHash[j]!, b[s.aliasFrom[j]!] === AT ? KEY_CATCH_ALL : KEY_ALIAS, i);
    return this.#endMailbox(i, domain, (s.enabled ? ENABLED : 0) | PLAIN);
  }

  #startMailbox(): number {
    if (this.listJson.count > 0) throw new Error('mailboxes must be added before lists');
    this.mailboxKeys.push(this.keys.count);
    return this.mailboxJson.count;
  }

  #endMailbox(i: number, domain: string, flags: number): number {
    this.mailboxKeysEnd = this.keys.count;
    let d = this.#domainIds.get(domain);
    if (d === undefined) this.#domainIds.set(domain, (d = this.domainNames.push(domain) - 1));
    this.mailboxDomain.push(d);
    this.mailboxFlags.push(flags);
    return i;
  }

  /** The canonical address of mailbox i. */
  mailboxAddress(i: number): string {
    return this.addressOverrides.get(i) ?? this.keys.text(this.mailboxKeys.at(i));
  }

  /** Adds a canonical list under its key. */
  list(entry: ListEntry, key: string): void {
    this.listKey.push(this.keys.count);
    this.#key(key, KEY_LIST, this.listJson.count);
    this.listJson.push(JSON.stringify(entry));
  }

  /** Adds a stored list whose JSON `b` is canonical, under the key `s` found in it. */
  storedList(b: Buffer, s: EntryScan): void {
    this.listKey.push(this.keys.count);
    this.#keyBytes(b, s.from, s.to, s.hash, KEY_LIST, this.listJson.count);
    this.listJson.pushBytes(b, 0, b.length);
  }

  #key(key: string, kind: number, target: number): void {
    this.keys.push(key);
    this.#keyInfo(hashString(key), kind, target);
  }

  /** A key held in `b[from..to]`, whose hash the caller has. */
  #keyBytes(b: Buffer, from: number, to: number, h: number, kind: number, target: number): void {
    this.keys.pushBytes(b, from, to);
    this.#keyInfo(h, kind, target);
  }

  #keyInfo(h: number, kind: number, target: number): void {
    if (kind === KEY_CATCH_ALL) this.catchAllKeys.push(this.keyKind.length);
    this.keyHash.push(h);
    this.keyKind.push(kind);
    this.keyTarget.push(target);
  }

  /** The packed layer of everything added. */
  finish(): PackedIndex {
    return runSteps(this.finishSteps());
  }

  /** {@link finish} as steps (build-steps.ts): the keys are packed and hashed a slice at a time. */
  *finishSteps(): Steps<PackedIndex> {
    const keys = yield* keyTableSteps(this);
    const mailboxJson = yield* this.mailboxJson.sealSteps();
    const listJson = yield* this.listJson.sealSteps();
    return new PackedIndex(this, keys, mailboxJson, listJson);
  }
}
