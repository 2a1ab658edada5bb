import type { Logger } from 'pino';
import { Directory } from '../directory/directory.js';
import type { DirectoryProvider } from '../providers/provider.js';
import type { DirectoryStore } from '../store/directory-store.js';

/** What one sync did. */
export type SyncOutcome =
  | { readonly status: 'applied'; readonly mailboxes: number; readonly problems: number }
  | { readonly status: 'failed'; readonly error: Error };

/** Options of the sync engine. */
export interface SyncEngineOptions {
  readonly provider: DirectoryProvider;
  readonly store: DirectoryStore;
  readonly logger: Logger;
  /** Seconds between full syncs; 0 disables the timer (watch-only). */
  readonly intervalSeconds: number;
}

/**
 * Pulls the directory from the provider into the store: at start, on a timer and when the provider
 * reports a change. One sync at a time; a request during a sync runs once more after it. A failed
 * sync changes nothing, so the last good directory keeps serving.
 */
export class SyncEngine {
  readonly #o: SyncEngineOptions;
  #running: Promise<SyncOutcome> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;
  #abort = new AbortController();

  constructor(options: SyncEngineOptions) {
    this.#o = options;
  }

  /** Runs the first sync and starts the timer and the provider's watch. */
  async start(): Promise<SyncOutcome> {
    this.#unwatch = this.#o.provider.watch?.(() => void this.syncNow());
    if (this.#o.intervalSeconds > 0) {
      this.#timer = setInterval(() => void this.syncNow(), this.#o.intervalSeconds * 1000);
      this.#timer.unref();
    }
    return this.syncNow();
  }

  /** Syncs now, or after the sync in progress (single flight). */
  syncNow(): Promise<SyncOutcome> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        void this.syncNow();
      }
    });
    return this.#running;
  }

  async #run(): Promise<SyncOutcome> {
    const { provider, store, logger } = this.#o;
    try {
      const data = await provider.fetchDirectory(this.#abort.signal);
      const directory = Directory.build(data, { strict: provider.strict, source: provider.name });
      for (const p of directory.problems) logger.warn({ where: p.where, reason: p.reason }, 'directory entry skipped');
      await store.replace(directory);
      logger.info({ mailboxes: directory.mailboxCount, problems: directory.problems.length }, 'directory loaded');
      return { status: 'applied', mailboxes: directory.mailboxCount, problems: directory.problems.length };
    } catch (err) {
      logger.error({ err }, 'sync failed; the last good directory keeps serving');
      return { status: 'failed', error: err as Error };
    }
  }

  /** Stops the timer and watch and waits for a sync in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#unwatch?.();
    this.#abort.abort();
    await this.#running;
  }
}
