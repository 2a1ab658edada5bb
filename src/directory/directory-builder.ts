import { DirectoryError, type DirectoryProblem } from '../errors.js';
import { addressKey, domainOf, normalizeDomain, parseAddress, type ParsedAddress } from './address.js';
import { parseQuota, type DirectoryData, type ListEntry, type MailboxEntry } from './directory-data.js';
import type { DirectoryIndexes, MailList, Mailbox } from './directory-indexes.js';

type Claim = { kind: 'mailbox' | 'alias' | 'list'; where: string };

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
  readonly #claims = new Map<string, Claim>();
  readonly #domains = new Map<string, string>();
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #aliasOwners = new Map<string, Mailbox>();
  readonly #catchAlls = new Map<string, Mailbox>();
  readonly #lists = new Map<string, MailList>();
  readonly #data: DirectoryData & { lists: ListEntry[] } = { mailboxes: [], lists: [] };

  constructor(raw: Record<string, unknown>) {
    this.#raw = raw;
  }

  build(): DirectoryIndexes {
    const explicitDomains = this.#raw.domains !== undefined;
    this.#readDomains();
    const accepted = this.#claimMailboxes(explicitDomains);
    for (const m of accepted) this.#addMailbox(m.entry, m.addr, m.where);
    for (const [i, item] of this.#array('lists').entries()) this.#addList(item as ListEntry, i);
    if (explicitDomains) this.#data.domains = [...this.#domains.values()];
    return {
      domains: this.#domains, mailboxes: this.#mailboxes, aliasOwners: this.#aliasOwners,
      lists: this.#lists, catchAlls: this.#catchAlls, data: this.#data,
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

  /** Records that `key` belongs to the entry at `where`; a second claim is a problem. */
  #claim(key: string, c: Claim): boolean {
    const prior = this.#claims.get(key);
    if (!prior) return void this.#claims.set(key, c), true;
    const what = prior.kind === c.kind ? `duplicate ${c.kind}` : `${c.kind} is also a ${prior.kind}`;
    this.#problem(c.where, `${what} (already at ${prior.where})`);
    return false;
  }

  #hosted(addr: ParsedAddress, where: string): boolean {
    if (this.#domains.has(addr.domain)) return true;
    this.#problem(where, `domain ${addr.domain} is not a hosted domain`);
    return false;
  }

  #readDomains(): void {
    for (const [i, d] of this.#array('domains').entries()) {
      const ascii = typeof d === 'string' ? normalizeDomain(d) : undefined;
      if (ascii === undefined) this.#problem(`domains[${i}]`, `${JSON.stringify(d)} is not a domain name`);
      else this.#domains.set(ascii, (d as string).toLowerCase());
    }
  }

  /** First pass: every mailbox address, so aliases and lists can be checked against all of them. */
  #claimMailboxes(explicitDomains: boolean): { entry: MailboxEntry; addr: ParsedAddress; where: string }[] {
    const accepted = [];
    for (const [i, item] of this.#array('mailboxes').entries()) {
      const entry = item as MailboxEntry;
      const where = `mailboxes[${i}]${typeof entry?.address === 'string' ? ` (${entry.address})` : ''}`;
      const addr = typeof entry?.address === 'string' ? parseAddress(entry.address) : undefined;
      if (!addr) {
        this.#problem(where, 'address is missing or not an e-mail address');
        continue;
      }
      if (!this.#checkMailboxFields(entry, where)) continue;
      if (!explicitDomains) this.#domains.set(addr.domain, domainOf(entry.address));
      if (this.#claim(addressKey(addr), { kind: 'mailbox', where })) accepted.push({ entry, addr, where });
    }
    return accepted;
  }

  #checkMailboxFields(mb: MailboxEntry, where: string): boolean {
    const before = this.problems.length;
    if (mb.aliases !== undefined && !Array.isArray(mb.aliases)) this.#problem(where, 'aliases must be a list');
    if (mb.enabled !== undefined && typeof mb.enabled !== 'boolean') this.#problem(where, 'enabled must be true or false');
    if (mb.passwordHash !== undefined && typeof mb.passwordHash !== 'string') this.#problem(where, 'passwordHash must be a string');
    if (mb.quota !== undefined && parseQuota(mb.quota) === undefined) this.#problem(where, `quota ${JSON.stringify(mb.quota)} is not a size like 2G`);
    if (mb.quotaBytes !== undefined && parseQuota(mb.quotaBytes) === undefined) this.#problem(where, 'quotaBytes must be a whole number');
    return this.problems.length === before;
  }

  #addMailbox(mb: MailboxEntry, addr: ParsedAddress, where: string): void {
    if (!this.#hosted(addr, where)) return;
    const aliases: { text: string; key: string }[] = [];
    for (const [j, a] of (mb.aliases ?? []).entries()) {
      const key = this.#aliasKey(a, `${where} aliases[${j}] (${String(a)})`);
      if (key !== undefined) aliases.push({ text: (a as string).toLowerCase(), key });
    }
    const quotaBytes = mb.quotaBytes ?? parseQuota(mb.quota);
    const entry: MailboxEntry = {
      address: mb.address.toLowerCase(),
      ...(mb.id !== undefined && { id: String(mb.id) }),
      ...(aliases.length > 0 && { aliases: aliases.map((a) => a.text) }),
      ...(quotaBytes !== undefined && { quotaBytes }),
      ...(mb.enabled === false && { enabled: false }),
      ...(mb.passwordHash !== undefined && { passwordHash: mb.passwordHash }),
    };
    this.#data.mailboxes.push(entry);
    const mailbox: Mailbox = {
      ...entry, key: addressKey(addr), local: addr.local, domain: domainOf(entry.address),
      aliases: entry.aliases ?? [], enabled: entry.enabled !== false,
    };
    this.#mailboxes.set(mailbox.key, mailbox);
    for (const { key } of aliases) {
      if (key.startsWith('@')) this.#catchAlls.set(key.slice(1), mailbox);
      else this.#aliasOwners.set(key, mailbox);
    }
  }

  /** The index key of an alias (`@domain` for a catch-all), or undefined after reporting why not. */
  #aliasKey(alias: unknown, where: string): string | undefined {
    if (typeof alias === 'string' && alias.startsWith('@')) {
      const d = normalizeDomain(alias.slice(1));
      if (d === undefined) return void this.#problem(where, 'catch-all is not "@domain"');
      if (!this.#hosted({ local: '', domain: d }, where)) return undefined;
      return this.#claim(`@${d}`, { kind: 'alias', where }) ? `@${d}` : undefined;
    }
    const pa = typeof alias === 'string' ? parseAddress(alias) : undefined;
    if (!pa) return void this.#problem(where, 'alias is not an e-mail address');
    if (!this.#hosted(pa, where) || !this.#claim(addressKey(pa), { kind: 'alias', where })) return undefined;
    return addressKey(pa);
  }

  #addList(l: ListEntry, i: number): void {
    const where = `lists[${i}]${typeof l?.address === 'string' ? ` (${l.address})` : ''}`;
    const addr = typeof l?.address === 'string' ? parseAddress(l.address) : undefined;
    if (!addr) return this.#problem(where, 'address is missing or not an e-mail address');
    const members = this.#addressList(l.members, `${where} members`);
    const senders = this.#addressList(l.senders ?? [], `${where} senders`);
    if (!members || !senders) return;
    if (members.length === 0) return this.#problem(where, 'a list needs at least one member');
    if (!this.#hosted(addr, where) || !this.#claim(addressKey(addr), { kind: 'list', where })) return;
    // A sender named by one of its aliases logs in with the mailbox address.
    const logins = senders.map((s) => {
      const key = addressKey(parseAddress(s)!);
      return (this.#mailboxes.get(key) ?? this.#aliasOwners.get(key))?.address ?? s;
    });
    const entry: ListEntry = {
      address: l.address.toLowerCase(), ...(l.id !== undefined && { id: String(l.id) }),
      members, ...(logins.length > 0 && { senders: logins }),
    };
    this.#data.lists.push(entry);
    this.#lists.set(addressKey(addr), { ...entry, key: addressKey(addr), senders: logins });
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
