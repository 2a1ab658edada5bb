import type { DirectoryData, ListEntry, MailboxEntry } from '../directory/directory-data.js';
import { addressKey, domainOf, parseAddress } from '../directory/address.js';
import type { DirectoryProblem } from '../errors.js';

/** One of DMS's database files: its name (for messages) and its text. */
export interface DmsDatabase {
  readonly name: string;
  readonly text: string;
}

/** What an import produced: the directory, and every line it could not carry over (and why). */
export interface DmsImport {
  readonly data: DirectoryData;
  readonly skipped: readonly DirectoryProblem[];
}

/** Placeholder accounts dms-config writes are never imported. */
export const PLACEHOLDER_DOMAIN = 'placeholder.invalid';

/** Non-empty, non-comment lines with their 1-based line numbers (DMS skips the same ones). */
function lines(db: DmsDatabase): { where: string; line: string }[] {
  return db.text.split('\n').flatMap((raw, i) => {
    const line = raw.trim();
    return line === '' || line.startsWith('#') ? [] : [{ where: `${db.name}:${i + 1}`, line }];
  });
}

/**
 * Turns DMS's FILE databases into a mailroster directory. `postfix-accounts.cf` lines are
 * `address|{SCHEME}hash[|attributes]`; hashes are kept as they are (Dovecot verifies them through
 * mailroster exactly as through DMS's passwd-file). `postfix-virtual.cf` lines are
 * `alias target[,target...]`: one target that is an account becomes an alias of that mailbox
 * (`@domain` a catch-all), anything else a list. `dovecot-quotas.cf` lines are `address:quota`.
 */
export function importDms(accounts: DmsDatabase, virtual?: DmsDatabase, quotas?: DmsDatabase): DmsImport {
  const skipped: DirectoryProblem[] = [];
  const mailboxes = new Map<string, MailboxEntry>();
  for (const { where, line } of lines(accounts)) {
    const [login = '', hash = ''] = line.split('|');
    const parsed = parseAddress(login);
    if (!parsed) {
      skipped.push({ where, reason: `"${login}" is not an address` });
      continue;
    }
    if (domainOf(login) === PLACEHOLDER_DOMAIN) continue;
    const key = addressKey(parsed);
    if (mailboxes.has(key)) {
      skipped.push({ where, reason: `${login} is listed twice; the first line is kept` });
      continue;
    }
    mailboxes.set(key, hash === '' ? { address: login } : { address: login, passwordHash: hash });
  }
  for (const { where, line } of quotas ? lines(quotas) : []) {
    const colon = line.lastIndexOf(':');
    const parsed = parseAddress(line.slice(0, colon));
    const mailbox = parsed && mailboxes.get(addressKey(parsed));
    if (colon < 0 || !mailbox) skipped.push({ where, reason: `"${line}" names no account` });
    else mailbox.quota = line.slice(colon + 1).trim();
  }
  const lists: ListEntry[] = [];
  for (const { where, line } of virtual ? lines(virtual) : []) {
    const [alias = '', ...rest] = line.split(/\s+/);
    const targets = rest.join(' ').split(/[\s,]+/).filter(Boolean);
    const problem = addVirtual(alias, targets, mailboxes, lists);
    if (problem) skipped.push({ where, reason: problem });
  }
  const all = [...mailboxes.values()];
  // DMS hosts every domain of an account or an alias (its vhost file); so does the import.
  const addresses = [...all.flatMap((m) => [m.address, ...(m.aliases ?? [])]), ...lists.map((l) => l.address)];
  const domains = [...new Set(addresses.map(domainOf))].sort();
  return { data: { domains, mailboxes: all, ...(lists.length > 0 ? { lists } : {}) }, skipped };
}

/** Adds one postfix-virtual.cf line; returns why it cannot be carried over, if it cannot. */
function addVirtual(alias: string, targets: string[], mailboxes: Map<string, MailboxEntry>, lists: ListEntry[]): string | undefined {
  if (targets.length === 0) return `alias ${alias} has no target`;
  const catchAll = alias.startsWith('@');
  const parsed = catchAll ? undefined : parseAddress(alias);
  if (!catchAll && !parsed) return `"${alias}" is neither an address nor @domain`;
  if (parsed && mailboxes.has(addressKey(parsed))) {
    return `${alias} is an account and an alias at once (a copy kept and forwarded); mailroster cannot do both for one address`;
  }
  const owners = targets.map((t) => parseAddress(t)).map((p) => (p ? mailboxes.get(addressKey(p)) : undefined));
  if (targets.length === 1 && owners[0]) {
    (owners[0].aliases ??= []).push(alias);
    return undefined;
  }
  if (catchAll) return `catch-all ${alias} must point at exactly one account in mailroster (it points at ${targets.join(', ')})`;
  lists.push({ address: alias, members: targets });
  return undefined;
}
