import type { DirectoryData } from './directory-data.js';

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
  readonly passwordHash?: string;
}

/** A distribution list with its normalised index key. */
export interface MailList {
  readonly address: string;
  readonly key: string;
  readonly id?: string;
  readonly members: readonly string[];
  readonly senders: readonly string[];
}

/** The indexes a directory is answered from; built once, never mutated. */
export interface DirectoryIndexes {
  /** ASCII domain -> domain as written. */
  readonly domains: ReadonlyMap<string, string>;
  readonly mailboxes: ReadonlyMap<string, Mailbox>;
  /** Alias key -> owning mailbox. */
  readonly aliasOwners: ReadonlyMap<string, Mailbox>;
  readonly lists: ReadonlyMap<string, MailList>;
  /** ASCII domain -> owner of the `@domain` catch-all. */
  readonly catchAlls: ReadonlyMap<string, Mailbox>;
  /** The validated, canonical data (what a store keeps and a sync diffs). */
  readonly data: DirectoryData;
}
