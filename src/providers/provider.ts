import type { DirectoryData } from '../directory/directory-data.js';
import type { DirectoryChange } from '../directory/directory-change.js';
import type { ProviderStatus } from './provider-status.js';

export type { DirectoryChange };

/** What a full fetch may reuse, and whether it may read secrets. */
export interface FetchOptions {
  /** What the store holds (however stale): secrets already read (app password hashes) are reused. */
  readonly known?: DirectoryData;
  /** false: read no secret at all (one-off commands); only known ones are used. Default true. */
  readonly readSecrets?: boolean;
  /**
   * A directory is being served meanwhile: keep the event loop free, even at some cost (a file
   * provider parses a large file on a thread). Absent: nothing is served yet (a start, a one-off
   * command), and only the caller waits, so the fastest way is taken.
   */
  readonly serving?: boolean;
}

/**
 * One identity provider behind one interface: adding Zitadel, Entra ID or LDAP means one new file
 * that implements this and one line in provider-factory.ts.
 */
export interface DirectoryProvider {
  /** Short name for logs and metrics (`file`, `authentik`, ...). */
  readonly name: string;
  /** Where the data comes from (a file path, a URL), named in error reports; defaults to `name`. */
  readonly source?: string;
  /**
   * Whether a directory with problems is refused whole (a hand-written file: the operator fixes it)
   * or served without the broken entries, which are reported (a provider with thousands of users).
   */
  readonly strict: boolean;
  /** The directory is pushed into the store (SCIM): the sync engine never pulls. */
  readonly push?: boolean;
  /**
   * Fetches the complete directory. Must reject on any failure, never resolve with a partial
   * answer: the sync engine replaces the whole directory with what this returns.
   */
  fetchDirectory(signal: AbortSignal, options?: FetchOptions): Promise<DirectoryData>;
  /**
   * Optional incremental feed: the changes since `cursor` (undefined: start from now) and the
   * cursor to pass next time. The periodic full sync stays the reconcile for anything missed.
   */
  fetchChanges?(cursor: string | undefined, signal: AbortSignal): Promise<{ changes: DirectoryChange[]; cursor: string }>;
  /**
   * Optional: re-reads one user by the provider's id (a webhook named it) and answers the changes
   * that brings (its mailbox upserted or removed, lists it moves); undefined when that cannot be
   * told without a full sync (none made yet by this process).
   */
  fetchUser?(id: string, signal: AbortSignal): Promise<DirectoryChange[] | undefined>;
  /** Calls `onChange` when the source may have changed (a file watch); returns a stop function. */
  watch?(onChange: () => void): () => void;
  /** What the provider detected about its server (features on/off, last sync counts), for `/status`. */
  status?(): ProviderStatus;
  /** Releases timers and connections. */
  close?(): Promise<void>;
}
