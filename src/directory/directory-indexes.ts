import { normalizeDomain } from './address.js';
import type { RecordSet } from './directory-data.js';
import type { PackedIndex } from './packed-index.js';
import { indexAppPasswords } from './passwords.js';

/** A mailbox with its normalised index key. */
export interface Mailbox {
  /** Canonical address (lower case): the login name and the delivery target. */
  readonly address: string;
  /** Index key: local part and ASCII domain. */
  readonly key: string;
  readonly local: string;
  /** Domain as the directory writes it (lower case, may be Unicode). */
  readonly domain: string;
  readonly id?: string;
  readonly aliases: readonly string[];
  readonly quotaBytes?: number;
  readonly enabled: boolean;
  /** Every `{SCHEME}` hash that signs in, besides the app passwords. */
  readonly passwordHashes: readonly string[];
  /** App passwords, with their expiry as a number for the lookup-time check. */
  readonly appPasswords: readonly IndexedAppPassword[];
}

/** An app password ready for lookups. */
export interface IndexedAppPassword {
  readonly id: string;
  readonly hash: string;
  /** ms since the epoch; Infinity when it never expires. */
  readonly expiresAt: number;
  /** The SHA-256 digest inside a `{SHA256.HEX}` hash (for the Dovecot 2.3 digest key), else undefined. */
  readonly digest: Buffer | undefined;
}

/** A distribution list with its normalised index key. */
export interface MailList {
  readonly address: string;
  readonly key: string;
  readonly id?: string;
  readonly members: readonly string[];
  readonly senders: readonly string[];
}

/** What one build produces: the packed layer and the hosted domains. */
export interface DirectoryIndexes {
  /** ASCII domain -> domain as written. */
  readonly domains: ReadonlyMap<string, string>;
  /** The explicit domain list as written, when the data had one (else domains follow the mailboxes). */
  readonly explicitDomains: readonly string[] | undefined;
  readonly packed: PackedIndex;
  /** A push provider's documents (DirectoryData.records), as given or made a RecordSet. */
  readonly records?: RecordSet;
}

/** Mailbox i of a packed layer as a whole object (made on each call). */
export function mailboxOf(p: PackedIndex, i: number): Mailbox {
  const entry = p.mailboxEntry(i);
  const key = p.mailboxKey(i);
  return {
    address: entry.address, key, local: key.slice(0, key.lastIndexOf('@')), domain: p.domainNames[p.mailboxDomain[i]!]!,
    ...(entry.id !== undefined && { id: entry.id }), ...(entry.quotaBytes !== undefined && { quotaBytes: entry.quotaBytes }),
    aliases: entry.aliases ?? [], enabled: entry.enabled !== false,
    passwordHashes: entry.passwordHashes ?? [], appPasswords: indexAppPasswords(entry.appPasswords),
  };
}

/** List i of a packed layer as a whole object (made on each call). */
export function listOf(p: PackedIndex, i: number): MailList {
  const entry = p.listEntry(i);
  return { ...entry, key: p.listKeyOf(i), senders: entry.senders ?? [] };
}

/** Mailboxes per ASCII domain of a layer, for a directory whose domains follow its mailboxes. */
export function mailboxesPerDomain(p: PackedIndex): Map<string, number> {
  const counts = new Map<string, number>();
  const perName = new Int32Array(p.domainNames.length);
  for (let i = 0; i < p.mailboxCount; i++) perName[p.mailboxDomain[i]!]!++;
  for (const [id, written] of p.domainNames.entries()) {
    const ascii = normalizeDomain(written)!;
    counts.set(ascii, (counts.get(ascii) ?? 0) + perName[id]!);
  }
  return counts;
}
