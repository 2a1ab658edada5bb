import { DirectoryError, type DirectoryProblem } from '../errors.js';
import { addressKey, normalizeDomain, parseAddress, type ParsedAddress } from './address.js';
import { parseQuota, type DirectoryData, type ListEntry, type MailboxEntry } from './directory-data.js';
import type { DirectoryIndexes, MailList, Mailbox } from './directory.js';

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
  const problems: DirectoryProblem[] = [];
  const problem = (where: string, reason: string): void => void problems.push({ where, reason });
  const raw = (input ?? {}) as Record<string, unknown>;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DirectoryError(options.source, [{ where: '(top level)', reason: 'expected an object with "mailboxes"' }]);
  }
  const mailboxInput = arrayField(raw, 'mailboxes', problem);
  const listInput = arrayField(raw, 'lists', problem);

  const domains = new Map<string, string>();
  const explicitDomains = raw.domains !== undefined;
  for (const [i, d] of arrayField(raw, 'domains', problem).entries()) {
    const ascii = typeof d === 'string' ? normalizeDomain(d) : undefined;
    if (ascii === undefined) problem(`domains[${i}]`, `${JSON.stringify(d)} is not a domain name`);
    else domains.set(ascii, (d as string).toLowerCase());
  }

  const claims = new Map<string, Claim>();
  const claim = (key: string, c: Claim): boolean => {
    const prior = claims.get(key);
    if (!prior) return void claims.set(key, c), true;
    const what = prior.kind === c.kind ? `duplicate ${c.kind}` : `${c.kind} is also a ${prior.kind}`;
    problem(c.where, `${what} (already at ${prior.where})`);
    return false;
  };

  const mailboxes = new Map<string, Mailbox>();
  const parsedMailboxes: { mb: MailboxEntry; addr: ParsedAddress; where: string }[] = [];
  for (const [i, item] of mailboxInput.entries()) {
    const mb = item as MailboxEntry;
    const where = `mailboxes[${i}]${typeof mb?.address === 'string' ? ` (${mb.address})` : ''}`;
    const addr = typeof mb?.address === 'string' ? parseAddress(mb.address) : undefined;
    if (!addr) { problem(where, 'address is missing or not an e-mail address'); continue; }
    if (!checkMailboxFields(mb, where, problem)) continue;
    if (!explicitDomains) domains.set(addr.domain, domainOf(mb.address));
    if (claim(addressKey(addr), { kind: 'mailbox', where })) parsedMailboxes.push({ mb, addr, where });
  }

  const hosted = (addr: ParsedAddress, where: string): boolean =>
    domains.has(addr.domain) || (problem(where, `domain ${addr.domain} is not a hosted domain`), false);

  const aliasOwners = new Map<string, Mailbox>();
  const catchAlls = new Map<string, Mailbox>();
  const canonical: DirectoryData = { mailboxes: [], lists: [] };
  for (const { mb, addr, where } of parsedMailboxes) {
    if (!hosted(addr, where)) continue;
    const aliases: string[] = [];
    const aliasKeys: string[] = [];
    for (const [j, a] of (mb.aliases ?? []).entries()) {
      const aWhere = `${where} aliases[${j}] (${String(a)})`;
      if (typeof a === 'string' && a.startsWith('@')) {
        const d = normalizeDomain(a.slice(1));
        if (d === undefined) { problem(aWhere, 'catch-all is not "@domain"'); continue; }
        if (!domains.has(d)) { problem(aWhere, `domain ${d} is not a hosted domain`); continue; }
        if (!claim(`@${d}`, { kind: 'alias', where: aWhere })) continue;
        aliases.push(a.toLowerCase());
        aliasKeys.push(`@${d}`);
        continue;
      }
      const pa = typeof a === 'string' ? parseAddress(a) : undefined;
      if (!pa) { problem(aWhere, 'alias is not an e-mail address'); continue; }
      if (!hosted(pa, aWhere) || !claim(addressKey(pa), { kind: 'alias', where: aWhere })) continue;
      aliases.push(a.toLowerCase());
      aliasKeys.push(addressKey(pa));
    }
    const quotaBytes = mb.quotaBytes ?? parseQuota(mb.quota);
    const entry: MailboxEntry = {
      address: mb.address.toLowerCase(),
      ...(mb.id !== undefined && { id: String(mb.id) }),
      ...(aliases.length > 0 && { aliases }),
      ...(quotaBytes !== undefined && { quotaBytes }),
      ...(mb.enabled === false && { enabled: false }),
      ...(mb.passwordHash !== undefined && { passwordHash: mb.passwordHash }),
    };
    canonical.mailboxes.push(entry);
    const mailbox: Mailbox = {
      ...entry, key: addressKey(addr), local: addr.local, domain: domainOf(entry.address),
      aliases, enabled: entry.enabled !== false,
    };
    mailboxes.set(mailbox.key, mailbox);
    for (const k of aliasKeys) {
      if (k.startsWith('@')) catchAlls.set(k.slice(1), mailbox);
      else aliasOwners.set(k, mailbox);
    }
  }

  const lists = new Map<string, MailList>();
  for (const [i, item] of listInput.entries()) {
    const l = item as ListEntry;
    const where = `lists[${i}]${typeof l?.address === 'string' ? ` (${l.address})` : ''}`;
    const addr = typeof l?.address === 'string' ? parseAddress(l.address) : undefined;
    if (!addr) { problem(where, 'address is missing or not an e-mail address'); continue; }
    const members = addressList(l.members, `${where} members`, problem);
    const senders = addressList(l.senders ?? [], `${where} senders`, problem);
    if (!members || !senders) continue;
    if (members.length === 0) { problem(where, 'a list needs at least one member'); continue; }
    if (!hosted(addr, where) || !claim(addressKey(addr), { kind: 'list', where })) continue;
    // A sender named by one of its aliases logs in with the mailbox address.
    const logins = senders.map((s) => mailboxes.get(keyOf(s)) ?? aliasOwners.get(keyOf(s))).map((m, k) => m?.address ?? senders[k]!);
    const entry: ListEntry = {
      address: l.address.toLowerCase(), ...(l.id !== undefined && { id: String(l.id) }),
      members, ...(logins.length > 0 && { senders: logins }),
    };
    canonical.lists!.push(entry);
    lists.set(addressKey(addr), { ...entry, key: addressKey(addr), senders: logins });
  }

  if (explicitDomains) canonical.domains = [...domains.values()];
  if (problems.length > 0 && options.strict) throw new DirectoryError(options.source, problems);
  return { domains, mailboxes, aliasOwners, lists, catchAlls, data: canonical, problems };
}

function keyOf(address: string): string {
  return addressKey(parseAddress(address)!);
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

function arrayField(raw: Record<string, unknown>, name: string, problem: (w: string, r: string) => void): unknown[] {
  const v = raw[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) { problem(name, 'expected a list'); return []; }
  return v;
}

function checkMailboxFields(mb: MailboxEntry, where: string, problem: (w: string, r: string) => void): boolean {
  let ok = true;
  const bad = (reason: string): void => { ok = false; problem(where, reason); };
  if (mb.aliases !== undefined && !Array.isArray(mb.aliases)) bad('aliases must be a list');
  if (mb.enabled !== undefined && typeof mb.enabled !== 'boolean') bad('enabled must be true or false');
  if (mb.passwordHash !== undefined && typeof mb.passwordHash !== 'string') bad('passwordHash must be a string');
  if (mb.quota !== undefined && parseQuota(mb.quota) === undefined) bad(`quota ${JSON.stringify(mb.quota)} is not a size like 2G`);
  if (mb.quotaBytes !== undefined && parseQuota(mb.quotaBytes) === undefined) bad('quotaBytes must be a whole number');
  return ok;
}

function addressList(v: unknown, where: string, problem: (w: string, r: string) => void): string[] | undefined {
  if (!Array.isArray(v)) { problem(where, 'expected a list of addresses'); return undefined; }
  const out: string[] = [];
  for (const [i, a] of v.entries()) {
    if (typeof a !== 'string' || !parseAddress(a)) { problem(`${where}[${i}]`, `${JSON.stringify(a)} is not an e-mail address`); return undefined; }
    out.push(a.toLowerCase());
  }
  return out;
}
