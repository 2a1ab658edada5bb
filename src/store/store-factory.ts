import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import type { DirectoryStore } from './directory-store.js';
import { MemoryStore } from './memory-store.js';
import { parseRedisUrl } from './redis-url.js';
import { RedisStore } from './redis-store.js';

/** Options of {@link createStore}. */
export interface StoreFactoryOptions {
  /** Take part in the sync leader election (servers do; one-shot CLI commands do not). @default true */
  readonly leadership?: boolean;
}

/** Builds the store named by `store.url`: `memory:` or a Redis URL (standalone, Sentinel, Cluster). */
export function createStore(config: AppConfig, logger: Logger, options: StoreFactoryOptions = {}): DirectoryStore {
  const { store, sync } = config;
  if (store.url === 'memory:') return new MemoryStore();
  return new RedisStore({
    target: parseRedisUrl(store.url),
    connect: { passwordFile: store.passwordFile, tlsCaFile: store.tlsCaFile, commandTimeoutMs: store.commandTimeoutMs, connectTimeoutMs: store.connectTimeoutMs },
    keyPrefix: store.keyPrefix,
    maxStalenessSeconds: store.maxStalenessSeconds,
    pollIntervalMs: store.pollIntervalMs,
    logLength: store.logLength,
    ...(options.leadership !== false && { lockTtlMs: sync.lockTtlSeconds * 1000 }),
    logger,
  });
}
