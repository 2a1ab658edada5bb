import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { readSecret } from '../config/config.js';
import { ConfigError } from '../errors.js';
import type { RedisClient } from './redis-scripts.js';

/** Where and how to reach Redis, parsed from `store.url`. */
export interface RedisTarget {
  readonly mode: 'standalone' | 'sentinel' | 'cluster';
  readonly tls: boolean;
  readonly hosts: readonly { host: string; port: number }[];
  /** Sentinel master name. */
  readonly masterName?: string;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
}

const SCHEMES: Record<string, { mode: RedisTarget['mode']; tls: boolean }> = {
  redis: { mode: 'standalone', tls: false },
  rediss: { mode: 'standalone', tls: true },
  'redis+sentinel': { mode: 'sentinel', tls: false },
  'rediss+sentinel': { mode: 'sentinel', tls: true },
  'redis+cluster': { mode: 'cluster', tls: false },
  'rediss+cluster': { mode: 'cluster', tls: true },
};

const URL_RE = /^([a-z+]+):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(?:\/([^?#]*))?$/i;

/**
 * Parses `redis://[user:password@]host:port[/db]`, `rediss://...` (TLS),
 * `redis+sentinel://[user:password@]h1:p1,h2:p2/master[/db]` and `redis+cluster://h1:p1,h2:p2`.
 * Error messages never repeat the URL: it may hold a password.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m = URL_RE.exec(url);
  const scheme = m ? SCHEMES[m[1]!.toLowerCase()] : undefined;
  if (!m || !scheme) throw new ConfigError(`store.url: expected memory:, ${Object.keys(SCHEMES).map((s) => `${s}://`).join(', ')}`);
  const hosts = m[4]!.split(',').map(parseHostPort);
  const path = (m[5] ?? '').split('/').filter(Boolean);
  const masterName = scheme.mode === 'sentinel' ? path.shift() : undefined;
  if (scheme.mode === 'sentinel' && !masterName) throw new ConfigError('store.url: a Sentinel URL names the master: redis+sentinel://host:26379/mymaster');
  const db = path.length > 0 ? Number(path[0]) : 0;
  if (!Number.isInteger(db) || db < 0 || path.length > 1 || (scheme.mode === 'cluster' && db !== 0)) {
    throw new ConfigError('store.url: the path must be a database number (none for a cluster)');
  }
  const username = m[2] ? decodeURIComponent(m[2]) : undefined;
  const password = m[3] !== undefined ? decodeURIComponent(m[3]) : undefined;
  return { ...scheme, hosts, db, ...(masterName && { masterName }), ...(username && { username }), ...(password !== undefined && { password }) };
}

function parseHostPort(raw: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(raw);
  const port = Number(m?.[3] ?? 6379);
  if (!m || port > 65535) throw new ConfigError('store.url: each host must be host or host:port');
  return { host: (m[1] ?? m[2])!, port };
}

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
