import type { Directory } from '../directory/directory.js';
import type { DirectoryPatch } from '../directory/directory-changes.js';
import type { DirectorySource } from './directory-source.js';
import type { SyncRequestChannel } from './sync-requests.js';

/** Health of a store, for logs, `/status` and metrics. */
export interface StoreStatus {
  /** A complete directory is held and lookups are answered. */
  readonly ready: boolean;
  /** Seconds since the held directory was last confirmed current; undefined before the first. */
  readonly staleSeconds?: number;
  readonly mailboxes: number;
  readonly detail?: string;
  /** Shared stores: whether the backend (Redis) answered the last attempt. */
  readonly connected?: boolean;
  /** Shared stores: the write generation the replica holds. */
  readonly generation?: number;
  /** Shared stores: whether this process holds the sync lock. */
  readonly leader?: boolean;
}

/** Who may sync: in a shared store exactly one server at a time. */
export interface Leadership {
  /** True while this process holds the sync lock. */
  readonly held: boolean;
  /** Calls `listener` whenever {@link held} changes; returns a function that unsubscribes. */
  onChange(listener: (held: boolean) => void): () => void;
}

/** Options of {@link DirectoryStore.replace}. */
export interface ReplaceOptions {
  /** The provider's change cursor this directory includes, saved with it for the next leader. */
  readonly cursor?: string;
  /**
   * The directory the caller diffed against (and checked the deletion guard on). A shared store
   * refuses the write (StoreConflictError) if it holds another one by now.
   */
  readonly base?: Directory | undefined;
  /**
   * What turns `base` into the directory, when the caller knows it (a change batch applied in
   * place): a shared store writes it as it is instead of comparing the two snapshots.
   */
  readonly patch?: DirectoryPatch;
  /** This is a complete provider answer: record the time, so a warm restart need not sync at once. */
  readonly fullSync?: boolean;
  /**
   * Shared stores: require the sync lock (default true). Pushed changes (SCIM) are written by
   * whichever server received them, checked by `base` alone.
   */
  readonly fenced?: boolean;
}

/** Keeps the directory and hands the current snapshot to the lookup servers. */
export interface DirectoryStore extends DirectorySource {
  /** Loads what the store already holds (a warm start) and begins following changes. */
  start(): Promise<void>;
  /**
   * Replaces the whole directory atomically. Shared stores write only what differs and refuse
   * (StoreConflictError) when another writer got there first; nothing is written then, and the
   * caller recomputes against the newer directory.
   */
  replace(directory: Directory, options?: ReplaceOptions): Promise<void>;
  status(): StoreStatus;
  close(): Promise<void>;
  /** Shared stores: the sync lock. Absent: this process is the only writer and always syncs. */
  readonly leadership?: Leadership;
  /** Shared stores: how a follower passes provider work (a webhook's re-read) to the leader. */
  readonly syncRequests?: SyncRequestChannel;
  /** The change cursor saved by the last replace (shared across servers in a shared store). */
  changeCursor?(): string | undefined;
  /**
   * The last complete directory held, however stale: the base a sync diffs against (and guards
   * deletions against) even when {@link current} withholds it. Defaults to {@link current}.
   */
  lastGood?(): Directory | undefined;
  /** When the last full sync reached the store (ms since the epoch), if the store keeps it. */
  lastSyncAt?(): number | undefined;
  /** Shared stores: brings {@link lastGood} up to the shared copy now (after a lost compare-and-set). */
  refresh?(): Promise<void>;
}
