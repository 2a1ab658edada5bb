import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { readSecret } from '../config/config.js';
import type { RedisClient } from './redis-scripts.js';
import type { RedisTarget } from './redis-url.js';

/** Connection settings beside the URL. */
export interface RedisConnectOptions {
  /** File holding the password; wins over a password in the URL. Read once, here. */
  readonly passwordFile: string;
  /** PEM file of the CA that signs the server certificate (rediss:); empty uses the system CAs. */
  readonly tlsCaFile: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/**
 * Creates a client that reconnects forever (capped backoff). The `command` role fails fast while
 * disconnected (no offline queue): the replica answers meanwhile, and a write queued during an
 * outage must not land later behind the engine's back. The `subscriber` role queues its SUBSCRIBE
 * until the first connect and resubscribes after every reconnect.
 */
export function createRedisClient(target: RedisTarget, options: RedisConnectOptions, role: 'command' | 'subscriber'): RedisClient {
  const password = options.passwordFile ? readSecret('', options.passwordFile, 'store.passwordFile') : target.password;
  const common: RedisOptions = {
    ...(target.username && { username: target.username }),
    ...(password !== undefined && { password }),
    ...(target.tls && { tls: options.tlsCaFile ? { ca: readSecret('', options.tlsCaFile, 'store.tlsCaFile') } : {} }),
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs,
    ...(role === 'command' && { commandTimeout: options.commandTimeoutMs }),
    maxRetriesPerRequest: role === 'command' ? 0 : null,
  };
  const retryStrategy = (times: number): number => Math.min(50 * 2 ** times, 2000);
  const enableOfflineQueue = role === 'subscriber';
  if (target.mode === 'cluster') {
    const clusterOptions: ClusterOptions = {
      lazyConnect: true,
      redisOptions: { ...common, lazyConnect: false },
      clusterRetryStrategy: retryStrategy,
      // A cluster needs its queue while it (re)discovers slots; commandTimeout still bounds waits.
      enableOfflineQueue: true,
    };
    return new Cluster(target.hosts.map((h) => ({ ...h })), clusterOptions);
  }
  if (target.mode === 'sentinel') {
    return new Redis({
      ...common, sentinels: target.hosts.map((h) => ({ ...h })), name: target.masterName!, db: target.db,
      enableOfflineQueue, retryStrategy, sentinelRetryStrategy: retryStrategy,
      ...(target.tls && { enableTLSForSentinelMode: true }),
    });
  }
  return new Redis({ ...common, host: target.hosts[0]!.host, port: target.hosts[0]!.port, db: target.db, enableOfflineQueue, retryStrategy });
}

/** Text for logs: mode and hosts, never the credentials. */
export function describeRedisTarget(target: RedisTarget): string {
  const hosts = target.hosts.map((h) => `${h.host}:${h.port}`).join(',');
  return `${target.mode}${target.tls ? '+tls' : ''} ${hosts}${target.masterName ? `/${target.masterName}` : ''}`;
}

/**
 * ioredis attaches the failed command to its errors, arguments included: for HELLO/AUTH that is
 * the password, for writes whole directory entries. Keep only the command name before an error
 * is logged or wrapped.
 */
export function scrubRedisError(err: unknown): unknown {
  const e = err as { command?: { name?: string }; previousErrors?: unknown[] } | null;
  if (e && typeof e === 'object') {
    if (e.command) e.command = { name: e.command.name ?? '?' };
    e.previousErrors?.forEach(scrubRedisError);
  }
  return err;
}
