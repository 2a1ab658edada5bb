import { releaseGarbageSoon } from '../ops/heap-release.js';
import type { DirectoryProvider } from '../providers/provider.js';
import { SerialQueue } from './serial-queue.js';
import { backoffDelayMs, nextSyncDelayMs } from './sync-schedule.js';
import { SyncWriter, type SyncOutcome, type SyncRequest, type SyncWriterOptions } from './sync-write.js';

/** Why a pushed provider (SCIM) never syncs. */
const PUSHED = 'the provider pushes (SCIM); nothing to pull';

/** Options of the sync engine; the optional ones default as in the config schema. */
export interface SyncEngineOptions extends SyncWriterOptions {
  /** Seconds between full syncs; 0 disables the timer (watch-only). */
  readonly intervalSeconds: number;
  readonly jitter?: number;
  readonly retryInitialSeconds?: number;
  readonly retryMaxSeconds?: number;
  /** Seconds between change-feed polls; 0 disables. */
  readonly changesIntervalSeconds?: number;
}

/** Counters since start, for status and metrics. */
export interface SyncStats {
  fullSyncs: number;
  failures: number;
  refused: number;
  changesApplied: number;
}

/**
 * Pulls the directory from the provider into the store: a full sync at start, on a jittered timer,
 * when the provider reports a change and when this server becomes the sync leader; between full
 * syncs, the provider's change feed. One run at a time. A failed or refused sync changes nothing,
 * so the last good directory keeps serving; failures retry with exponential backoff. With a shared
 * store only the leader talks to the provider.
 */
export class SyncEngine {
  readonly stats: SyncStats = { fullSyncs: 0, failures: 0, refused: 0, changesApplied: 0 };
  #o: SyncEngineOptions;
  readonly #queue = new SerialQueue();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #changesTimer: NodeJS.Timeout | undefined;
  #stopFns: (() => void)[] = [];
  #failures = 0;
  #cursor: string | undefined;
  #stopped = false;
  /**
   * The provider or sync settings changed while another server led: what the store holds came
   * from the old ones, so taking the lock over must sync at once, not wait for the interval.
   */
  #owedSync = false;
  /** The full sync executing now, if any. */
  #running: Promise<SyncOutcome> | undefined;
  readonly #writer = new SyncWriter(() => this.#o, this.stats);

  constructor(options: SyncEngineOptions) {
    this.#o = options;
  }

  /** Starts the timers, the provider's watch and leadership tracking; resolves with the first sync. */
  start(): Promise<SyncOutcome> {
    if (this.#o.provider.push) return Promise.resolve(this.#skipped(PUSHED));
    this.#attach();
    return this.#becameLeader();
  }

  /** Subscribes to the provider's watch, leadership changes and the change-feed timer. */
  #attach(): void {
    const { provider, store } = this.#o;
    const unwatch = provider.watch?.(() => void this.syncNow());
    if (unwatch) this.#stopFns.push(unwatch);
    if (store.leadership) this.#stopFns.push(store.leadership.onChange((held) => void (held && this.#becameLeader())));
    // A webhook another server (or worker) received while it followed: the leader does the work.
    if (store.syncRequests) {
      this.#stopFns.push(store.syncRequests.onRequest((r) => {
        if (this.#isFollower()) return;
        if (r.kind === 'user') void this.refreshUser(r.id);
        else this.syncChanges();
      }));
    }
    const changesSeconds = this.#o.changesIntervalSeconds ?? 30;
    if (provider.fetchChanges && changesSeconds > 0) {
      this.#changesTimer = setInterval(() => void this.pullChanges(), changesSeconds * 1000);
      this.#changesTimer.unref();
    }
  }

  /**
   * Syncs now (single flight). During a sync, resolves with that sync and queues one more run
   * after it, so a change seen meanwhile is not lost; further requests join that queued run.
   * Forced and dry runs always run on their own, after whatever is in progress.
   */
  syncNow(request: SyncRequest = {}): Promise<SyncOutcome> {
    if (request.force || request.dryRun) return this.#queue.run(() => this.#tracked(request));
    const queued = this.#queue.coalesce('full', () => this.#tracked(request));
    return this.#running ?? queued;
  }

  #tracked(request: SyncRequest): Promise<SyncOutcome> {
    const run = this.#full(request);
    this.#running = run;
    void run.finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    return run;
  }

  /** Applies the provider's changes since the last cursor (leader only). */
  pullChanges(): Promise<number> {
    return this.#queue.coalesce('changes', () => this.#changes());
  }

  /**
   * Re-reads one user from the provider and applies what it changes (a webhook named it); a
   * follower passes it to the leader through the shared store. Repeated calls for a user waiting
   * in the queue coalesce; each reads the current state, so duplicates and out-of-order
   * notifications are harmless. A provider that cannot re-read one user runs an incremental or
   * full sync instead.
   */
  refreshUser(id: string): Promise<number> {
    return this.#queue.coalesce(`user:${id}`, () => this.#refreshUser(id));
  }

  async #refreshUser(id: string): Promise<number> {
    const { provider, store, logger } = this.#o;
    const base = store.lastGood?.() ?? store.current();
    if (this.#stopped) return 0;
    if (this.#isFollower()) return store.syncRequests?.send({ kind: 'user', id }), 0;
    if (!provider.fetchUser || base === undefined) return void this.syncChanges(), 0;
    try {
      const changes = await provider.fetchUser(id, this.#abort.signal);
      if (changes === undefined) return void this.syncChanges(), 0;
      const applied = await this.#writer.applyChanges(base, changes, this.#abort.signal);
      return applied === 'refused' ? 0 : applied;
    } catch (err) {
      if (this.#abort.signal.aborted) return 0;
      logger.error({ err, user: id }, 're-reading one user failed; the next full sync reconciles');
      return 0;
    }
  }

  /**
   * Something changed at the provider: the incremental feed when it has one, else a full sync
   * (queued, not awaited); a follower passes it to the leader.
   */
  syncChanges(): void {
    if (this.#isFollower()) return this.#o.store.syncRequests?.send({ kind: 'changes' });
    if (this.#o.provider.fetchChanges) void this.pullChanges();
    else void this.syncNow();
  }

  /** First sync of this leader: at once, unless the shared store was synced recently (warm start). */
  #becameLeader(): Promise<SyncOutcome> {
    this.#cursor = this.#o.store.changeCursor?.() ?? this.#cursor;
    const lastSync = this.#o.store.lastSyncAt?.();
    const dueInMs = lastSync === undefined || this.#o.intervalSeconds === 0 ? 0 : lastSync + this.#o.intervalSeconds * 1000 - Date.now();
    if (dueInMs <= 0 || this.#owedSync || this.#o.store.current() === undefined) return this.syncNow();
    this.#schedule(dueInMs);
    return Promise.resolve(this.#skipped(`warm start: next sync due in ${Math.round(dueInMs / 1000)}s`));
  }

  #isFollower(): boolean {
    return this.#o.store.leadership !== undefined && !this.#o.store.leadership.held;
  }

  async #full(request: SyncRequest): Promise<SyncOutcome> {
    const { provider, store, logger } = this.#o;
    if (this.#stopped) return this.#skipped('stopping');
    if (provider.push) return this.#skipped(PUSHED);
    if (this.#isFollower()) {
      this.#schedule(nextSyncDelayMs(this.#o.intervalSeconds, this.#o.jitter ?? 0.1));
      return this.#skipped('another server is the sync leader');
    }
    if (!request.dryRun) this.#owedSync = false;
    try {
      // Take the change cursor before the full read: changes made during it are replayed after.
      if (this.#cursor === undefined && provider.fetchChanges && !request.dryRun) {
        // The feed is optional: if it cannot start, the full sync goes on and the next poll starts it.
        this.#cursor = await provider.fetchChanges(undefined, this.#abort.signal).then((r) => r.cursor, (err: unknown) => {
          if (this.#abort.signal.aborted) throw err;
          logger.warn({ err }, 'the change feed could not start; the full sync goes on without it');
          return undefined;
        });
      }
      // What the store holds lets the provider skip secrets it already read (Authentik app password keys).
      // A getter: materialising every entry costs seconds at a million, and most providers never look.
      const held = store.lastGood?.() ?? store.current();
      const data = await provider.fetchDirectory(this.#abort.signal, held && { serving: true, get known() { return held.data; } });
      const directory = await this.#writer.build(data, this.#abort.signal);
      const outcome = await this.#writer.write(directory, request, { fullSync: true, ...(this.#cursor !== undefined && { cursor: this.#cursor }) });
      releaseGarbageSoon(directory.mailboxCount);
      this.#failures = 0;
      this.#schedule(nextSyncDelayMs(this.#o.intervalSeconds, this.#o.jitter ?? 0.1));
      return outcome;
    } catch (err) {
      // Shutting down cancels a sync in progress: that is not a provider failure.
      if (this.#abort.signal.aborted) return { status: 'failed', error: err as Error };
      this.stats.failures++;
      this.#failures++;
      const retryMs = backoffDelayMs(this.#failures, this.#o.retryInitialSeconds ?? 1, this.#o.retryMaxSeconds ?? 300);
      logger.error({ err, failures: this.#failures, retryInSeconds: Math.round(retryMs / 100) / 10 }, 'sync failed; the last good directory keeps serving');
      if (!request.dryRun) this.#schedule(retryMs);
      return { status: 'failed', error: err as Error };
    }
  }

  async #changes(): Promise<number> {
    const { provider, store, logger } = this.#o;
    const base = store.lastGood?.() ?? store.current();
    if (!provider.fetchChanges || this.#isFollower() || base === undefined || this.#stopped) return 0;
    try {
      const { changes, cursor } = await provider.fetchChanges(this.#cursor, this.#abort.signal);
      // A refused batch keeps the old cursor: the changes stay pending until forced or reverted.
      if ((await this.#writer.applyChanges(base, changes, this.#abort.signal, cursor)) === 'refused') return 0;
      this.#cursor = cursor;
      return changes.length;
    } catch (err) {
      if (this.#abort.signal.aborted) return 0;
      logger.error({ err }, 'applying provider changes failed; the next full sync reconciles');
      return 0;
    }
  }

  #skipped(reason: string): SyncOutcome {
    return { status: 'skipped', mailboxes: this.#o.store.current()?.mailboxCount ?? 0, reason };
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#stopped || (ms <= 0 && this.#o.intervalSeconds === 0)) return;
    this.#timer = setTimeout(() => void this.syncNow(), ms);
    this.#timer.unref();
  }

  /**
   * Takes new settings and possibly a new provider (a config reload): a run in progress finishes
   * with what it started with; the watch and change feed move to the new provider, and a full
   * sync follows at once. The old provider is closed once nothing uses it.
   */
  reconfigure(options: Omit<SyncEngineOptions, 'store' | 'logger'>): Promise<SyncOutcome> {
    const old = this.#o.provider;
    for (const fn of this.#stopFns.splice(0)) fn();
    clearInterval(this.#changesTimer);
    this.#o = { ...this.#o, ...options };
    if (options.provider !== old) {
      // A cursor belongs to the feed that issued it.
      this.#cursor = undefined;
      void this.#queue.idle().then(() => old.close?.());
    }
    if (this.#stopped) return Promise.resolve({ status: 'skipped', mailboxes: 0, reason: 'stopping' });
    this.#attach();
    if (this.#isFollower()) this.#owedSync = true;
    return this.syncNow();
  }

  /** The provider syncs read from now. */
  get provider(): DirectoryProvider {
    return this.#o.provider;
  }

  /** Stops the timers, watch and leadership tracking and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#changesTimer);
    for (const fn of this.#stopFns.splice(0)) fn();
    this.#abort.abort();
    await this.#queue.idle();
  }
}
