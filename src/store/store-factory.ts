import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import type { DirectoryStore } from './directory-store.js';
import { MemoryStore } from './memory-store.js';
import { parseRedisUrl } from './redis-url.js';
import { RedisStore } from './redis-store.js';
import type { LockNames } from './redis-lock.js';

/** Options of {@link createStore}. */
export interface StoreFactoryOptions {
  /**
   * `candidate`: take part in the sync leader election (servers do); `follow`: follow only,
   * never lead (a serving worker beside a sync worker); `none`: no part at all (one-shot CLI
   * commands, which write unfenced). @default "candidate"
   */
  readonly leadership?: 'candidate' | 'follow' | 'none';
  /** A candidate's lock token prefix, and a dead sync worker's whose lock it takes over at once. */
  readonly lock?: LockNames;
}

/** Builds the store named by `store.url`: `memory:` or a Redis URL (standalone, Sentinel, Cluster). */
export function createStore(config: AppConfig, logger: Logger, options: StoreFactoryOptions = {}): DirectoryStore {
  const { store, sync } = config;
  if (store.url === 'memory:') return new MemoryStore();
  const leadership = options.leadership ?? 'candidate';
  return new RedisStore({
    target: parseRedisUrl(store.url),
    connect: { passwordFile: store.passwordFile, tlsCaFile: store.tlsCaFile, commandTimeoutMs: store.commandTimeoutMs, connectTimeoutMs: store.connectTimeoutMs },
    keyPrefix: store.keyPrefix,
    maxStalenessSeconds: store.maxStalenessSeconds,
    pollIntervalMs: store.pollIntervalMs,
    logLength: store.logLength,
    ...(leadership !== 'none' && { leadership: leadership === 'follow' ? leadership : { lockTtlMs: sync.lockTtlSeconds * 1000, ...options.lock } }),
    logger,
  });
}
