import type { Logger } from 'pino';
import { isEmptyPatch, type DirectoryPatch } from '../directory/directory-changes.js';
import type { Directory } from '../directory/directory.js';
import { runSliced } from '../directory/build-steps.js';
import { patchBetweenSteps } from '../directory/indexed-directory.js';
import type { DirectoryStore, Leadership, ReplaceOptions, StoreStatus } from './directory-store.js';
import { createRedisClient, describeRedisTarget, scrubRedisError, type RedisConnectOptions } from './redis-connection.js';
import type { RedisTarget } from './redis-url.js';
import { decodeMeta } from './redis-codec.js';
import { readDirectory, replayLog } from './redis-reads.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';
import { FOLLOW_ONLY, RedisLeaderLock, type LockNames } from './redis-lock.js';
import type { RedisClient } from './redis-scripts.js';
import { DEFAULT_FULL_WRITE_BATCH, RedisWriter } from './redis-writer.js';
import { Replica, type ReplicaSnapshot } from './replica.js';
import { StoreConflictError } from './store-errors.js';
import { RedisSyncRequests } from './sync-requests.js';
import { SerialQueue } from '../sync/serial-queue.js';
import { releaseGarbageSoon } from '../ops/heap-release.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  readonly target: RedisTarget;
  readonly connect: RedisConnectOptions;
  /** Hash tag of every key (`{prefix}:meta` ...). @default "mailroster" */
  readonly keyPrefix: string;
  /** Withhold the replica (TEMP) once unconfirmed this long; 0 never. */
  readonly maxStalenessSeconds: number;
  /** Generation poll, the fallback when a pub/sub message is lost. */
  readonly pollIntervalMs: number;
  /** Patches kept in the log stream for followers that fell behind. */
  readonly logLength: number;
  /**
   * The sync lock's lifetime, its token's prefix, and a dead leader's whose lock is taken over
   * at once; `follow`: never lead nor write for a sync (a serving worker beside its sync worker;
   * pushed SCIM changes are still written); undefined: no part in leadership (one-shot CLI runs).
   */
  readonly leadership?: ({ readonly lockTtlMs: number } & LockNames) | 'follow';
  /** Entries per staging command of a full write. @default DEFAULT_FULL_WRITE_BATCH */
  readonly fullWriteBatch?: number;
  readonly logger: Logger;
}

/**
 * The directory in Redis with an in-process replica. Lookups read only the replica. It follows
 * Redis through pub/sub (`<epoch>:<generation>` per write) and a generation poll; a follower
 * replays the patches it missed from the log stream, or reloads everything atomically when it
 * fell too far behind. When Redis is unreachable, or comes back without the directory, the
 * replica keeps serving and the leader writes it back.
 */
export class RedisStore implements DirectoryStore {
  readonly #o: RedisStoreOptions;
  readonly #keys: RedisKeys;
  readonly #replica: Replica;
  readonly #queue = new SerialQueue();
  readonly #lock: RedisLeaderLock | undefined;
  readonly #leadership: Leadership | undefined;
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #writer: RedisWriter;
  #connected = false;
  /** Redis is reachable but lacks our directory (restarted empty, or from older files). */
  #lost: 'empty' | 'behind' | undefined;
  #poll: NodeJS.Timeout | undefined;
  #syncedAt: number | undefined;

  constructor(options: RedisStoreOptions) {
    this.#o = options;
    this.#keys = redisKeys(options.keyPrefix);
    this.#replica = new Replica(options.maxStalenessSeconds);
    this.#client = createRedisClient(options.target, options.connect, 'command');
    this.#subscriber = createRedisClient(options.target, options.connect, 'subscriber');
    for (const c of [this.#client, this.#subscriber]) c.on('error', () => undefined); // reported by #refresh
    this.syncRequests = new RedisSyncRequests(this.#client, this.#keys.requests);
    this.#writer = new RedisWriter({
      client: this.#client, keys: this.#keys, keyPrefix: options.keyPrefix, logLength: options.logLength,
      fullWriteBatch: options.fullWriteBatch ?? DEFAULT_FULL_WRITE_BATCH, commandTimeoutMs: options.connect.commandTimeoutMs,
    });
    const l = options.leadership;
    if (l === 'follow') this.#leadership = FOLLOW_ONLY;
    else if (l) {
      this.#lock = new RedisLeaderLock({ ...l, client: this.#client, key: this.#keys.leader, ttlMs: l.lockTtlMs, logger: options.logger });
      this.#lock.onChange((held) => void (held && this.refresh()));
      this.#leadership = this.#lock;
    }
  }

  get leadership(): Leadership | undefined {
    return this.#leadership;
  }

  /** Requests from followers to the leader, on their own pub/sub channel. */
  readonly syncRequests: RedisSyncRequests;

  /** Connects, loads what Redis holds (a warm start) and starts following it. Never throws for an unreachable Redis. */
  async start(): Promise<void> {
    const { logger, target } = this.#o;
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.syncRequests.channel) return this.syncRequests.receive(message);
      const s = this.#replica.snapshot;
      if (!s || message !== `${s.epoch}:${s.generation}`) void this.refresh();
    });
    this.#subscriber.connect().catch(() => undefined);
    this.#subscriber.subscribe(this.#keys.channel, this.syncRequests.channel).catch((err: unknown) => logger.warn({ err: scrubRedisError(err) }, 'redis subscribe failed'));
    // Bounded: a Cluster whose nodes are all down keeps retrying inside connect() and never settles.
    const gaveUp = new Promise((resolve) => setTimeout(resolve, this.#o.connect.connectTimeoutMs).unref());
    await Promise.race([this.#client.connect(), gaveUp])
      .catch((err: unknown) => logger.warn({ err: scrubRedisError(err), redis: describeRedisTarget(target) }, 'redis unreachable; retrying in the background'));
    await this.refresh();
    this.#poll = setInterval(() => void this.refresh(), this.#o.pollIntervalMs);
    this.#poll.unref();
    await this.#lock?.start();
  }

  current(): Directory | undefined {
    return this.#replica.current();
  }

  lastGood(): Directory | undefined {
    return this.#replica.snapshot?.directory;
  }

  unavailableReason(): string {
    if (this.#replica.tooStale()) return `directory not confirmed for ${Math.round(this.#replica.staleSeconds()!)}s (store.maxStalenessSeconds=${this.#o.maxStalenessSeconds})`;
    if (!this.#connected) return 'redis unreachable and no directory loaded yet';
    return this.#lost ? 'redis holds no directory yet (waiting for the first sync)' : 'directory not loaded yet';
  }

  status(): StoreStatus {
    const s = this.#replica.snapshot;
    const staleSeconds = this.#replica.staleSeconds();
    const detail = !this.#connected ? 'redis unreachable; serving the replica' : this.#lost ? `redis ${this.#lost}; waiting for the leader to restore it` : undefined;
    return {
      ready: this.current() !== undefined, mailboxes: s?.directory.mailboxCount ?? 0, connected: this.#connected,
      leader: this.#lock?.held ?? false, ...(staleSeconds !== undefined && { staleSeconds }),
      ...(s && { generation: s.generation }), ...(detail && { detail }),
    };
  }

  changeCursor(): string | undefined {
    return this.#replica.snapshot?.cursor;
  }

  /** Brings the replica up to Redis now (also run on every notification and poll). */
  refresh(): Promise<void> {
    return this.#queue.coalesce('refresh', () => this.#refresh());
  }

  async #refresh(): Promise<void> {
    try {
      const [epoch, generation, syncedAt] = await this.#client.hmget(this.#keys.meta, 'epoch', 'generation', 'syncedAt');
      this.#setConnected(true);
      // Followed too, so a server that becomes leader knows whether a sync is due.
      if (syncedAt) this.#syncedAt = Number(syncedAt);
      const meta = decodeMeta(epoch, generation);
      const snap = this.#replica.snapshot;
      if (!meta) return await this.#onLost('empty');
      if (snap && meta.epoch === snap.epoch) {
        if (meta.generation === snap.generation) return void ((this.#lost = undefined), this.#replica.confirm());
        if (meta.generation < snap.generation) return await this.#onLost('behind');
        if (await this.#catchUp(snap)) return;
      }
      await this.#loadAll();
    } catch (err) {
      // A lost restore race or an unreadable entry is not an outage: log it, try again next poll.
      if (err instanceof StoreConflictError || err instanceof SyntaxError) this.#o.logger.warn({ err }, 'replica refresh failed');
      else this.#setConnected(false, scrubRedisError(err));
    }
  }

  /** Replays the patches after our generation from the log stream; false when they are gone. */
  async #catchUp(snap: ReplicaSnapshot): Promise<boolean> {
    const read = await replayLog(this.#client, this.#keys, snap);
    if (!read) return false;
    const { epoch, generation, cursor } = read.meta;
    this.#install({ directory: this.#checked(read.directory), epoch, generation, ...(cursor && { cursor }) }, 'log');
    return true;
  }

  /** Reads everything and builds the replica from the stored bytes. */
  async #loadAll(): Promise<void> {
    const read = await readDirectory(this.#client, this.#keys, this.#replica.snapshot !== undefined);
    if (!read) return this.#onLost('empty');
    this.#install({ directory: this.#checked(read.directory), ...read.meta }, 'full read');
    releaseGarbageSoon(read.directory.mailboxCount);
  }

  #install(snapshot: ReplicaSnapshot, via: 'log' | 'full read' | 'own write'): void {
    this.#lost = undefined;
    if (this.#replica.swap(snapshot) && via !== 'own write') {
      this.#o.logger.info({ generation: snapshot.generation, mailboxes: snapshot.directory.mailboxCount, via }, 'replica updated from redis');
    }
  }

  #checked(directory: Directory): Directory {
    for (const p of directory.problems) this.#o.logger.warn({ where: p.where, reason: p.reason }, 'entry in redis skipped');
    return directory;
  }

  /** Redis lacks our directory: keep serving the replica; the leader writes it back. */
  async #onLost(kind: 'empty' | 'behind'): Promise<void> {
    const snap = this.#replica.snapshot;
    if (this.#lost !== kind) this.#o.logger.warn({ kind, replica: snap?.generation }, snap ? 'redis lost the directory; the replica keeps serving' : 'redis holds no directory yet');
    this.#lost = kind;
    if (!snap || (this.#leadership && !this.#leadership.held)) return;
    await this.#write(snap, snap.directory, undefined, snap.cursor);
    this.#o.logger.warn({ generation: this.#replica.snapshot?.generation }, 'restored the directory into redis from the replica');
  }

  /**
   * Writes only what differs from the replica (everything into an empty Redis). A lost
   * compare-and-set throws StoreConflictError and writes nothing: the engine recomputes its diff,
   * deletion guard included, against the newer directory.
   */
  replace(directory: Directory, options: ReplaceOptions = {}): Promise<void> {
    return this.#queue.run(async () => {
      const snap = this.#replica.snapshot;
      if ('base' in options && options.base !== snap?.directory) throw new StoreConflictError('not written: the directory changed while the sync ran');
      const fenced = options.fenced !== false;
      if (fenced && this.#leadership === FOLLOW_ONLY) throw new StoreConflictError('not written: this server only follows (its sync worker writes)');
      if (!snap || this.#lost) await this.#write(snap, directory, undefined, options.cursor, fenced);
      else {
        // A patch the caller made against this very snapshot needs no second comparison.
        const patch = options.patch && options.base === snap.directory ? options.patch : await runSliced(patchBetweenSteps(snap.directory, directory));
        if (!isEmptyPatch(patch)) await this.#write(snap, directory, patch, options.cursor, fenced);
      }
      if (options.fullSync) await this.#markSynced();
    });
  }

  /** Records the time of a complete sync beside the directory (best effort: only a hint for warm starts). */
  async #markSynced(): Promise<void> {
    const now = Date.now();
    await this.#client.hset(this.#keys.meta, 'syncedAt', now).then(() => (this.#syncedAt = now), () => undefined);
  }

  lastSyncAt(): number | undefined {
    return this.#syncedAt;
  }

  /**
   * Writes `patch` (undefined: the whole `directory`, into emptied hashes; see RedisWriter),
   * checked against the generation the replica holds and fenced by the leader lock; the replica
   * takes the new directory at once.
   */
  async #write(base: ReplicaSnapshot | undefined, directory: Directory, patch: DirectoryPatch | undefined, cursor: string | undefined, fenced = true): Promise<void> {
    const token = fenced ? (this.#lock?.token ?? '') : '';
    const { epoch, generation } = await this.#writer.write({ base, directory, patch, token, cursor });
    const kept = cursor ?? base?.cursor;
    // The directory just written: any snapshot takes later patches, so a demoted leader replays without a rebuild.
    this.#install({ directory, epoch, generation, ...(kept !== undefined && { cursor: kept }) }, 'own write');
  }

  #setConnected(connected: boolean, err?: unknown): void {
    if (connected === this.#connected) return;
    this.#connected = connected;
    const log = this.#o.logger;
    if (connected) log.info({ redis: describeRedisTarget(this.#o.target) }, 'redis reachable');
    else log.warn({ err, staleSeconds: this.#replica.staleSeconds() }, 'redis unreachable; serving the replica');
  }

  async close(): Promise<void> {
    clearInterval(this.#poll);
    await this.#lock?.stop();
    await this.#queue.idle();
    for (const c of [this.#subscriber, this.#client]) c.disconnect();
  }
}
