import { DirectoryError, type DirectoryProblem } from '../errors.js';
import { ClaimTable } from './claim-table.js';
import { addressKey, domainOf, lookupKey, normalizeDomain, parseAddress } from './address.js';
import { parseQuota, type ListEntry, type MailboxEntry } from './directory-data.js';
import type { DirectoryIndexes } from './directory-indexes.js';
import { PackedBuilder } from './packed-builder.js';
import { readPasswords, type MailboxPasswords } from './passwords.js';

/**
 * Which entry claimed an address, as one small integer (no object or string per key, which at a
 * million entries was most of a build): `index << 2 | kind`, index of the mailbox or list.
 */
const enum ClaimKind { Mailbox = 0, Alias = 1, List = 2 }
const KIND_NAMES = ['mailbox', 'alias', 'list'] as const;

const NO_PASSWORDS: MailboxPasswords = Object.freeze({});

/**
 * Validates untrusted directory data (a parsed file or a provider answer) and builds the indexes.
 * Every problem is collected. Strict mode refuses the whole directory if there is any problem, so
 * a reload with a typo keeps the last good data; lenient mode skips the offending entries and
 * reports them in `problems` (providers: one broken user must not stop everyone's mail).
 */
export function buildIndexes(
  input: unknown,
  options: { strict: boolean; source: string },
): DirectoryIndexes & { problems: DirectoryProblem[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DirectoryError(options.source, [{ where: '(top level)', reason: 'expected an object with "mailboxes"' }]);
  }
  const b = new IndexBuilder(input as Record<string, unknown>);
  const indexes = b.build();
  if (b.problems.length > 0 && options.strict) throw new DirectoryError(options.source, b.problems);
  return { ...indexes, problems: b.problems };
}

/** One build: the problems found so far and which entry claimed each address. */
class IndexBuilder {
  readonly problems: DirectoryProblem[] = [];
  readonly #raw: Record<string, unknown>;
  readonly #claims = new ClaimTable();
  /** Canonical address of each indexed mailbox, by its index in the input. */
  readonly #owners: (string | undefined)[] = [];
  readonly #domains = new Map<string, string>();
  readonly #packed = new PackedBuilder();

  constructor(raw: Record<string, unknown>) {
    this.#raw = raw;
  }

  build(): DirectoryIndexes {
    const explicitDomains = this.#raw.domains !== undefined;
    this.#readDomains();
    const accepted = this.#claimMailboxes(explicitDomains);
    const mailboxes = this.#array('mailboxes') as MailboxEntry[];
    for (let a = 0; a < accepted.indexes.length; a++) {
      const i = accepted.indexes[a]!;
      this.#addMailbox(mailboxes[i]!, accepted.passwords.get(i) ?? NO_PASSWORDS, accepted.keys[a]!, i);
    }
    for (const [i, item] of this.#array('lists').entries()) this.#addList(item as ListEntry, i);
    const records = this.#readRecords();
    return {
      domains: this.#domains, explicitDomains: explicitDomains ? [...this.#domains.values()] : undefined, packed: this.#packed.finish(),
      ...(records && { records }),
    };
  }

  #problem(where: string, reason: string): void {
    this.problems.push({ where, reason });
  }

  #array(name: string): unknown[] {
    const v = this.#raw[name];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    this.#problem(name, 'expected a list');
    return [];
  }

  /** Records that `key` belongs to an entry; a second claim is a problem, reported at `where`. */
  #claim(key: string, kind: ClaimKind, index: number, where: () => string): boolean {
    const prior = this.#claims.claim(key, (index << 2) | kind);
    if (prior < 0) return true;
    const [was, now] = [KIND_NAMES[prior & 3]!, KIND_NAMES[kind]];
    const what = was === now ? `duplicate ${now}` : `${now} is also a ${was}`;
    this.#problem(where(), `${what} (already at ${this.#whereOf(key, prior)})`);
    return false;
  }

  /** Where an entry is in the input, for problem messages (made only when there is a problem). */
  #where(name: 'mailboxes' | 'lists', i: number): string {
    const entry = this.#array(name)[i] as { address?: unknown } | undefined;
    return `${name}[${i}]${typeof entry?.address === 'string' ? ` (${entry.address})` : ''}`;
  }

  #aliasWhere(i: number, j: number, alias: unknown): string {
    return `${this.#where('mailboxes', i)} aliases[${j}] (${String(alias)})`;
  }

  #whereOf(key: string, claim: number): string {
    const i = claim >> 2;
    if ((claim & 3) === ClaimKind.List) return this.#where('lists', i);
    if ((claim & 3) === ClaimKind.Mailbox) return this.#where('mailboxes', i);
    const aliases = (this.#array('mailboxes')[i] as MailboxEntry).aliases!;
    const j = aliases.findIndex((a) => (typeof a === 'string' && a.startsWith('@') ? `@${normalizeDomain(a.slice(1))}` : lookupKey(String(a))) === key);
    return this.#aliasWhere(i, j, aliases[j]);
  }

  #hosted(domain: string, where: () => string): boolean {
    if (this.#domains.has(domain)) return true;
    this.#problem(where(), `domain ${domain} is not a hosted domain`);
    return false;
  }

  /** Records pass through unchanged: only their shape (an object of JSON values) is checked. */
  #readRecords(): Readonly<Record<string, unknown>> | undefined {
    const r = this.#raw.records;
    if (r === undefined || r === null) return undefined;
    if (typeof r !== 'object' || Array.isArray(r)) return void this.#problem('records', 'expected an object');
    return r as Record<string, unknown>;
  }

  #readDomains(): void {
    for (const [i, d] of this.#array('domains').entries()) {
      const ascii = typeof d === 'string' ? normalizeDomain(d) : undefined;
      if (ascii === undefined) this.#problem(`domains[${i}]`, `${JSON.stringify(d)} is not a domain name`);
      else this.#domains.set(ascii, (d as string).toLowerCase());
    }
  }

  /**
   * First pass: every mailbox address, so aliases and lists can be checked against all of them.
   * Returns the accepted mailboxes as input indexes with their keys (no object per mailbox: at a
   * million they outlived the young generation and kept the collector busy), and the passwords
   * of the few that have any.
   */
  #claimMailboxes(explicitDomains: boolean): { indexes: number[]; keys: string[]; passwords: Map<number, MailboxPasswords> } {
    const accepted = { indexes: [] as number[], keys: [] as string[], passwords: new Map<number, MailboxPasswords>() };
    const all = this.#array('mailboxes');
    for (let i = 0; i < all.length; i++) {
      const entry = all[i] as MailboxEntry;
      // The key straight from the address: no parsed object, and the address string itself when it is canonical.
      const key = typeof entry?.address === 'string' ? lookupKey(entry.address) : undefined;
      if (key === undefined) {
        this.#problem(this.#where('mailboxes', i), 'address is missing or not an e-mail address');
        continue;
      }
      const passwords = this.#checkMailboxFields(entry, i);
      if (!passwords) continue;
      const domain = key.slice(key.lastIndexOf('@') + 1);
      if (!this.#claim(key, ClaimKind.Mailbox, i, () => this.#where('mailboxes', i))) continue;
      // After the claim: a refused duplicate must not change how its domain is written.
      if (!explicitDomains) this.#domains.set(domain, domainOf(entry.address));
      accepted.indexes.push(i);
      accepted.keys.push(key);
      if (passwords !== NO_PASSWORDS) accepted.passwords.set(i, passwords);
    }
    return accepted;
  }

  /** The mailbox's sign-in fields in canonical form, or undefined after reporting its problems. */
  #checkMailboxFields(mb: MailboxEntry, i: number): MailboxPasswords | undefined {
    const noPasswords = mb.passwordHash === undefined && mb.passwordHashes === undefined && mb.appPasswords === undefined;
    if (mb.aliases === undefined || Array.isArray(mb.aliases)) {
      if (mb.enabled === undefined || typeof mb.enabled === 'boolean') {
        if (noPasswords && mb.quota === undefined && (mb.quotaBytes === undefined || parseQuota(mb.quotaBytes) !== undefined)) return NO_PASSWORDS;
      }
    }
    const where = this.#where('mailboxes', i);
    const before = this.problems.length;
    if (mb.aliases !== undefined && !Array.isArray(mb.aliases)) this.#problem(where, 'aliases must be a list');
    if (mb.enabled !== undefined && typeof mb.enabled !== 'boolean') this.#problem(where, 'enabled must be true or false');
    if (mb.quota !== undefined && parseQuota(mb.quota) === undefined) this.#problem(where, `quota ${JSON.stringify(mb.quota)} is not a size like 2G`);
    if (mb.quotaBytes !== undefined && parseQuota(mb.quotaBytes) === undefined) this.#problem(where, 'quotaBytes must be a whole number');
    const passwords = noPasswords ? NO_PASSWORDS : readPasswords(mb, (reason) => this.#problem(where, reason));
    return this.problems.length === before ? passwords : undefined;
  }

  #addMailbox(mb: MailboxEntry, passwords: MailboxPasswords, key: string, i: number): void {
    if (!this.#hosted(key.slice(key.lastIndexOf('@') + 1), () => this.#where('mailboxes', i))) return;
    const texts: string[] = [];
    const aliasKeys: string[] = [];
    const raw = mb.aliases ?? [];
    for (let j = 0; j < raw.length; j++) {
      const key = this.#aliasKey(raw[j], i, () => this.#aliasWhere(i, j, raw[j]));
      if (key !== undefined) texts.push(raw[j]!.toLowerCase()), aliasKeys.push(key);
    }
    const quotaBytes = mb.quotaBytes ?? parseQuota(mb.quota);
    // Field by field in one fixed order: every canonical entry has the same JSON layout.
    const entry: MailboxEntry = { address: mb.address.toLowerCase() };
    if (mb.id !== undefined) entry.id = String(mb.id);
    if (texts.length > 0) entry.aliases = texts;
    if (quotaBytes !== undefined) entry.quotaBytes = quotaBytes;
    if (mb.enabled === false) entry.enabled = false;
    if (passwords.passwordHashes) entry.passwordHashes = passwords.passwordHashes;
    if (passwords.appPasswords) entry.appPasswords = passwords.appPasswords;
    this.#packed.mailbox(entry, key, domainOf(entry.address), aliasKeys);
    this.#owners[i] = entry.address;
  }

  /** The index key of an alias (`@domain` for a catch-all), or undefined after reporting why not. */
  #aliasKey(alias: unknown, i: number, where: () => string): string | undefined {
    if (typeof alias === 'string' && alias.startsWith('@')) {
      const d = normalizeDomain(alias.slice(1));
      if (d === undefined) return void this.#problem(where(), 'catch-all is not "@domain"');
      if (!this.#hosted(d, where)) return undefined;
      return this.#claim(`@${d}`, ClaimKind.Alias, i, where) ? `@${d}` : undefined;
    }
    const key = typeof alias === 'string' ? lookupKey(alias) : undefined;
    if (key === undefined) return void this.#problem(where(), 'alias is not an e-mail address');
    if (!this.#hosted(key.slice(key.lastIndexOf('@') + 1), where) || !this.#claim(key, ClaimKind.Alias, i, where)) return undefined;
    return key;
  }

  #addList(l: ListEntry, i: number): void {
    const where = `lists[${i}]${typeof l?.address === 'string' ? ` (${l.address})` : ''}`;
    const addr = typeof l?.address === 'string' ? parseAddress(l.address) : undefined;
    if (!addr) return this.#problem(where, 'address is missing or not an e-mail address');
    const members = this.#addressList(l.members, `${where} members`);
    const senders = this.#addressList(l.senders ?? [], `${where} senders`);
    if (!members || !senders) return;
    if (members.length === 0) return this.#problem(where, 'a list needs at least one member');
    if (!this.#hosted(addr.domain, () => where) || !this.#claim(addressKey(addr), ClaimKind.List, i, () => where)) return;
    // A sender named by one of its aliases logs in with the mailbox address.
    const logins = senders.map((s) => {
      const claim = this.#claims.get(lookupKey(s)!);
      return (claim >= 0 && (claim & 3) !== ClaimKind.List ? this.#owners[claim >> 2] : undefined) ?? s;
    });
    const entry: ListEntry = {
      address: l.address.toLowerCase(), ...(l.id !== undefined && { id: String(l.id) }),
      members, ...(logins.length > 0 && { senders: logins }),
    };
    this.#packed.list(entry, addressKey(addr));
  }

  #addressList(v: unknown, where: string): string[] | undefined {
    if (!Array.isArray(v)) return void this.#problem(where, 'expected a list of addresses');
    const out: string[] = [];
    for (const [i, a] of v.entries()) {
      if (typeof a !== 'string' || !parseAddress(a)) return void this.#problem(`${where}[${i}]`, `${JSON.stringify(a)} is not an e-mail address`);
      out.push(a.toLowerCase());
    }
    return out;
  }
}
