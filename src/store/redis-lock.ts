import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Leadership } from './directory-store.js';
import { scrubRedisError } from './redis-connection.js';
import { LOCK_SCRIPT, UNLOCK_SCRIPT, type RedisClient } from './redis-scripts.js';

/** The holder renews, the others try to take the lock, every quarter lifetime... */
const TICKS_PER_TTL = 4;
/** ...but at least every second, so a dead leader is replaced at most a second after its key expires. */
const MAX_TICK_MS = 1000;

/** The leadership of a store that only follows: never held, never changes. */
export const FOLLOW_ONLY: Leadership = { held: false, onChange: () => () => undefined };

/** How a lock names itself, and whose lock it inherits. */
export interface LockNames {
  /** The start of this process's token; the primary of a cluster makes one no other host can have. */
  readonly tokenPrefix?: string | undefined;
  /** The token prefix of a dead holder (a sync worker this process replaces), taken over at once. */
  readonly heirOf?: string | undefined;
}

/**
 * The sync leader lock: a Redis key holding this process's token, with a TTL. The holder renews
 * it every quarter lifetime (at least every second); every other server tries to take it just as
 * often, so when the leader dies another one takes over at most that long after the key expires
 * (at once for a replacement told the dead holder's token prefix, as a primary tells its new sync
 * worker). Writes are fenced with the token too (see WRITE_SCRIPT), so a leader that lost the lock
 * cannot write.
 */
export class RedisLeaderLock implements Leadership {
  /** This process's token: its prefix (host and pid unless given) and a random part: unique, readable. */
  readonly token: string;
  readonly #client: RedisClient;
  readonly #key: string;
  readonly #ttlMs: number;
  readonly #logger: Logger;
  /** A dead holder's token prefix: its lock is ours at the first attempt, not after it expires. */
  #heirOf: string;
  readonly #listeners = new Set<(held: boolean) => void>();
  #held = false;
  #renewedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(options: { client: RedisClient; key: string; ttlMs: number; logger: Logger } & LockNames) {
    this.#client = options.client;
    this.token = `${options.tokenPrefix ?? `${hostname()}:${process.pid}:`}${randomBytes(6).toString('hex')}`;
    this.#heirOf = options.heirOf ?? '';
    this.#key = options.key;
    this.#ttlMs = options.ttlMs;
    this.#logger = options.logger;
  }

  get held(): boolean {
    return this.#held;
  }

  onChange(listener: (held: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Tries at once, then keeps trying (or renewing) in the background. */
  async start(): Promise<void> {
    this.#timer = setInterval(() => void this.tick(), Math.max(50, Math.min(MAX_TICK_MS, Math.floor(this.#ttlMs / TICKS_PER_TTL))));
    this.#timer.unref();
    await this.tick();
  }

  /** One attempt to take or renew the lock. */
  tick(): Promise<void> {
    this.#ticking ??= this.#attempt().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async #attempt(): Promise<void> {
    const startedAt = Date.now();
    try {
      const got = (await LOCK_SCRIPT.run(this.#client, [this.#key], [this.token, this.#ttlMs, this.#heirOf])) === 1;
      // Only the first answer may take over: later, the same pid could be another process's.
      this.#heirOf = '';
      if (got) this.#renewedAt = startedAt;
      this.#set(got);
    } catch (err) {
      // Unreachable: keep the role until the key must have expired in Redis, then let go.
      if (this.#held && Date.now() - this.#renewedAt >= this.#ttlMs) this.#set(false);
      this.#logger.debug({ err: scrubRedisError(err) }, 'leader lock attempt failed');
    }
  }

  #set(held: boolean): void {
    if (held === this.#held) return;
    this.#held = held;
    this.#logger.info({ token: this.token }, held ? 'became sync leader' : 'no longer sync leader');
    for (const l of this.#listeners) l(held);
  }

  /** Stops trying and hands the lock over at once (deleted when ours), so a follower takes over. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#ticking;
    if (this.#held) await UNLOCK_SCRIPT.run(this.#client, [this.#key], [this.token]).catch(() => undefined);
    this.#set(false);
  }
}
