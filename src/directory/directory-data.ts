import type { LayeredMap } from './layered-map.js';

/**
 * A push provider's documents as a snapshot holds them (DirectoryData.records as a persistent
 * map): a write patches them in time proportional to what it changes, old snapshots keep theirs.
 */
export type RecordSet = LayeredMap<unknown>;

/** One mailbox as providers deliver it and as it is stored (plain JSON, no indexes). */
export interface MailboxEntry {
  /** Primary address, the login name and the canonical delivery target. */
  address: string;
  /** Provider's immutable id, so an e-mail rename moves the mailbox instead of recreating it. */
  id?: string;
  /** Further addresses that deliver here; `@domain` is a catch-all for that domain. */
  aliases?: string[];
  /** Storage quota in bytes. */
  quotaBytes?: number;
  /** Human form of the quota (`2G`), as written in a directory file; turned into quotaBytes. */
  quota?: string | number;
  /** Disabled mailboxes receive nothing and cannot log in. Default true. */
  enabled?: boolean;
  /**
   * Dovecot password hashes, each with its `{SCHEME}` prefix; any one of them signs in (a password
   * being migrated keeps its old and new hash). Canonical form; see {@link passwordHash}.
   */
  passwordHashes?: string[];
  /** Input only (directory files, data written before passwordHashes): one hash or a list. */
  passwordHash?: string | string[];
  /** App passwords (Authentik tokens): each signs in until it expires or is deleted. */
  appPasswords?: AppPasswordEntry[];
}

/**
 * One app password, as the store keeps it: never the key, only a hash of it. `hash` is any
 * `{SCHEME}` hash Dovecot verifies; providers write `{SHA256.HEX}` (see app-password-hash.ts).
 */
export interface AppPasswordEntry {
  /** The provider's name for it (Authentik: the token identifier); shown in logs, never secret. */
  id: string;
  hash: string;
  /** ISO 8601 time from which it no longer signs in, checked at every lookup; absent: never expires. */
  expires?: string;
  /**
   * What the provider read the key for (Authentik: token pk, identifier, expiry). A token with the
   * same fingerprint keeps its hash, so its key is not read again, by this server or a new leader.
   */
  fingerprint?: string;
}

/** A distribution list: mail to `address` goes to every member. */
export interface ListEntry {
  address: string;
  /** Provider's immutable id, if any. */
  id?: string;
  members: string[];
  /** Logins allowed to send as the list address (smtpd_sender_login_maps). */
  senders?: string[];
}

/** A whole directory as one plain, serialisable value: what a provider returns and a store keeps. */
export interface DirectoryData {
  /** Hosted domains; when absent, the domains of all mailboxes. */
  domains?: string[];
  mailboxes: MailboxEntry[];
  lists?: ListEntry[];
  /**
   * Opaque JSON documents a push provider keeps beside the entries they produce (SCIM resources,
   * keyed `User/<id>`, `Group/<id>`), so both are written in one atomic step. Lookups never read them.
   */
  records?: Record<string, unknown>;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Parses a quota such as `2G`, `512M`, `1.5 GiB` or a plain byte count. Units are binary, as in
 * Dovecot's quota_rule. Returns undefined for anything else.
 */
export function parseQuota(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(raw);
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Renders bytes in the largest exact Dovecot unit (`2G`, `1536M`, `100B`). */
export function formatQuota(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K'] as const) {
    const size = UNITS[unit]!;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit === 'K' ? 'k' : unit}`;
  }
  return `${bytes}B`;
}
