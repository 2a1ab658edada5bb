import type { Directory } from '../directory/directory.js';
import type { DirectoryStore, StoreStatus } from './directory-store.js';

/** The embedded store: one process, the directory lives only in memory. */
export class MemoryStore implements DirectoryStore {
  #directory: Directory | undefined;
  #updatedAt = 0;

  async start(): Promise<void> {}

  async replace(directory: Directory): Promise<void> {
    this.#directory = directory;
    this.#updatedAt = Date.now();
  }

  current(): Directory | undefined {
    return this.#directory;
  }

  unavailableReason(): string {
    return 'directory not loaded yet';
  }

  status(): StoreStatus {
    const d = this.#directory;
    return d
      ? { ready: true, staleSeconds: (Date.now() - this.#updatedAt) / 1000, mailboxes: d.mailboxCount }
      : { ready: false, mailboxes: 0 };
  }

  async close(): Promise<void> {}
}
