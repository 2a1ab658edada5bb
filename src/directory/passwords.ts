import type { AppPasswordEntry, MailboxEntry } from './directory-data.js';
import type { IndexedAppPassword } from './directory-indexes.js';

/** A Dovecot password hash carries its scheme: `{BLF-CRYPT}$2y$...`, `{ARGON2ID}...`. */
export function isPasswordHash(value: unknown): value is string {
  return typeof value === 'string' && /^\{[A-Za-z0-9._-]+\}\S+$/.test(value);
}

/** The scheme prefix app-password digests carry: hex SHA-256, which Dovecot verifies natively. */
export const DIGEST_SCHEME = '{SHA256.HEX}';

/** The sign-in fields of a mailbox in canonical form: hashes as a list, app passwords checked. */
export interface MailboxPasswords {
  readonly passwordHashes?: string[];
  readonly appPasswords?: AppPasswordEntry[];
}

/**
 * Validates the password fields of an untrusted mailbox entry (a directory file, a provider
 * answer, data read back from Redis). `passwordHash` may be one hash or a list and is folded into
 * `passwordHashes`. Problems are reported through `problem`; the result is only used without any.
 */
export function readPasswords(mb: MailboxEntry, problem: (reason: string) => void): MailboxPasswords {
  const hashes: string[] = [];
  for (const [field, value] of [['passwordHash', mb.passwordHash], ['passwordHashes', mb.passwordHashes]] as const) {
    if (value === undefined) continue;
    const list = Array.isArray(value) ? value : [value];
    if (list.some((h) => !isPasswordHash(h))) problem(`${field} must be a {SCHEME}hash or a list of them`);
    else hashes.push(...list);
  }
  const apps: AppPasswordEntry[] = [];
  if (mb.appPasswords !== undefined && !Array.isArray(mb.appPasswords)) problem('appPasswords must be a list');
  for (const [i, a] of (Array.isArray(mb.appPasswords) ? mb.appPasswords : []).entries()) {
    const bad = (why: string) => problem(`appPasswords[${i}]: ${why}`);
    if (typeof a?.id !== 'string' || a.id === '') bad('id is missing');
    else if (!isPasswordHash(a.hash)) bad('hash must be a {SCHEME}hash (never the password itself)');
    else if (a.expires !== undefined && Number.isNaN(Date.parse(a.expires))) bad(`expires ${JSON.stringify(a.expires)} is not a date`);
    else apps.push({ id: a.id, hash: a.hash, ...(a.expires !== undefined && { expires: a.expires }), ...(typeof a.fingerprint === 'string' && { fingerprint: a.fingerprint }) });
  }
  return { ...(hashes.length > 0 && { passwordHashes: [...new Set(hashes)] }), ...(apps.length > 0 && { appPasswords: apps }) };
}

/** App passwords with their expiry as a number and, for digest hashes, the raw digest. */
export function indexAppPasswords(entries: readonly AppPasswordEntry[] | undefined): IndexedAppPassword[] {
  return (entries ?? []).map((a) => ({
    id: a.id, hash: a.hash,
    expiresAt: a.expires === undefined ? Infinity : Date.parse(a.expires),
    digest: digestOf(a.hash),
  }));
}

/** The 32 digest bytes of a `{SHA256.HEX}` hash (any case), else undefined. */
function digestOf(hash: string): Buffer | undefined {
  if (hash.slice(0, DIGEST_SCHEME.length).toUpperCase() !== DIGEST_SCHEME) return undefined;
  const hex = hash.slice(DIGEST_SCHEME.length);
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}
