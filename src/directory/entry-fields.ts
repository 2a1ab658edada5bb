import { parseAddress } from './address.js';
import { parseQuota, type MailboxEntry } from './directory-data.js';
import { readPasswords, type MailboxPasswords } from './passwords.js';

/** Reports one problem of a build: where in the input, and why. */
export type ReportProblem = (where: string, reason: string) => void;

/** The passwords of a mailbox that has none (shared: most mailboxes). */
export const NO_PASSWORDS: MailboxPasswords = Object.freeze({});

/**
 * The sign-in fields of an untrusted mailbox in canonical form, after checking every field but
 * its addresses; undefined after reporting its problems at `where`.
 */
export function checkMailboxFields(mb: MailboxEntry, where: () => string, report: ReportProblem): MailboxPasswords | undefined {
  const noPasswords = mb.passwordHash === undefined && mb.passwordHashes === undefined && mb.appPasswords === undefined;
  if (mb.aliases === undefined || Array.isArray(mb.aliases)) {
    if (mb.enabled === undefined || typeof mb.enabled === 'boolean') {
      if (noPasswords && mb.quota === undefined && (mb.quotaBytes === undefined || parseQuota(mb.quotaBytes) !== undefined)) return NO_PASSWORDS;
    }
  }
  const at = where();
  let ok = true;
  const problem = (reason: string): void => void ((ok = false), report(at, reason));
  if (mb.aliases !== undefined && !Array.isArray(mb.aliases)) problem('aliases must be a list');
  if (mb.enabled !== undefined && typeof mb.enabled !== 'boolean') problem('enabled must be true or false');
  if (mb.quota !== undefined && parseQuota(mb.quota) === undefined) problem(`quota ${JSON.stringify(mb.quota)} is not a size like 2G`);
  if (mb.quotaBytes !== undefined && parseQuota(mb.quotaBytes) === undefined) problem('quotaBytes must be a whole number');
  const passwords = noPasswords ? NO_PASSWORDS : readPasswords(mb, problem);
  return ok ? passwords : undefined;
}

/** A list of addresses (list members or senders), lower case; undefined after reporting the first bad one. */
export function addressList(v: unknown, where: string, report: ReportProblem): string[] | undefined {
  if (!Array.isArray(v)) return void report(where, 'expected a list of addresses');
  const out: string[] = [];
  for (const [i, a] of v.entries()) {
    if (typeof a !== 'string' || !parseAddress(a)) return void report(`${where}[${i}]`, `${JSON.stringify(a)} is not an e-mail address`);
    out.push(a.toLowerCase());
  }
  return out;
}
