import type { DirectoryData, ListEntry, MailboxEntry } from './directory-data.js';
import { addressKey, parseAddress } from './address.js';
import { buildIndexes } from './directory-builder.js';
import type { DirectoryProblem } from '../errors.js';
import type { DirectoryIndexes, MailList, Mailbox } from './directory-indexes.js';

export type { DirectoryIndexes, MailList, Mailbox };

/**
 * An immutable snapshot of the directory. Lookups read it without locks or I/O; a reload builds
 * a new one and swaps the reference, so a reader never sees half of a sync.
 */
export class Directory {
  readonly #ix: DirectoryIndexes;
  /** Enabled and disabled mailboxes sorted by address, for iteration. */
  readonly sortedMailboxes: readonly Mailbox[];
  /** Entries skipped while building (lenient builds only; strict builds throw instead). */
  readonly problems: readonly DirectoryProblem[];

  constructor(indexes: DirectoryIndexes & { problems?: readonly DirectoryProblem[] }) {
    this.#ix = indexes;
    this.problems = indexes.problems ?? [];
    this.sortedMailboxes = [...indexes.mailboxes.values()].sort((a, b) => (a.address < b.address ? -1 : 1));
  }

  /** Builds a snapshot from plain data; problems are collected (strict) or reported and skipped. */
  static build(data: unknown, options: { strict: boolean; source: string }): Directory {
    return new Directory(buildIndexes(data, options));
  }

  /** The canonical data of this snapshot. */
  get data(): DirectoryData {
    return this.#ix.data;
  }

  /** Number of mailboxes (enabled or not). */
  get mailboxCount(): number {
    return this.#ix.mailboxes.size;
  }

  /** The hosted domain as written, for an ASCII domain; undefined if not hosted. */
  hostedDomain(asciiDomain: string): string | undefined {
    return this.#ix.domains.get(asciiDomain);
  }

  /** The mailbox at exactly this key (extension not stripped). */
  mailbox(key: string): Mailbox | undefined {
    return this.#ix.mailboxes.get(key);
  }

  /** The mailbox that owns this alias key. */
  aliasOwner(key: string): Mailbox | undefined {
    return this.#ix.aliasOwners.get(key);
  }

  /** The list at this key. */
  list(key: string): MailList | undefined {
    return this.#ix.lists.get(key);
  }

  /** The owner of the catch-all for this ASCII domain. */
  catchAll(asciiDomain: string): Mailbox | undefined {
    return this.#ix.catchAlls.get(asciiDomain);
  }

  /** Mailbox for a login name: its own address or one of its aliases, any case or IDN form. */
  mailboxForLogin(login: string): Mailbox | undefined {
    const parsed = parseAddress(login);
    if (!parsed) return undefined;
    const key = addressKey(parsed);
    return this.#ix.mailboxes.get(key) ?? this.#ix.aliasOwners.get(key);
  }
}

export type { DirectoryData, ListEntry, MailboxEntry };
