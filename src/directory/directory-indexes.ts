import type { PackedIndex } from './packed-index.js';

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
  /** A push provider's documents (DirectoryData.records), passed through unchanged. */
  readonly records?: Readonly<Record<string, unknown>>;
}
