import type { ListEntry, MailboxEntry } from './directory-data.js';
import { ENABLED, KEY_ALIAS, KEY_CATCH_ALL, KEY_LIST, KEY_MAILBOX, PackedIndex, PLAIN } from './packed-index.js';
import { ByteTable, IntList } from './packed-tables.js';

/** Collects validated entries (from the directory builder) and packs them into a {@link PackedIndex}. */
export class PackedBuilder {
  readonly keys = new ByteTable();
  readonly keyKind = new IntList();
  readonly keyTarget = new IntList();
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
    const plain = entry.address === key && domain === key.slice(key.lastIndexOf('@') + 1);
    this.mailboxFlags.push((entry.enabled === false ? 0 : ENABLED) | (plain ? PLAIN : 0));
    if (entry.address !== key) this.addressOverrides.set(i, entry.address);
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
