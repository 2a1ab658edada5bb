import type { Directory } from '../directory/directory.js';
import type { DirectorySource } from './directory-source.js';

/** Health of a store, for logs, `/status` and metrics. */
export interface StoreStatus {
  /** A complete directory is held and lookups are answered. */
  readonly ready: boolean;
  /** Seconds since the held directory was last confirmed current; undefined before the first. */
  readonly staleSeconds?: number;
  readonly mailboxes: number;
  readonly detail?: string;
}

/** Keeps the directory and hands the current snapshot to the lookup servers. */
export interface DirectoryStore extends DirectorySource {
  /** Loads what the store already holds (a warm start) and begins following changes. */
  start(): Promise<void>;
  /** Replaces the whole directory atomically. */
  replace(directory: Directory): Promise<void>;
  status(): StoreStatus;
  close(): Promise<void>;
}
