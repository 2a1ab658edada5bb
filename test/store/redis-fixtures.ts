import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { FileProvider } from '../../src/providers/file-provider.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { LockNames } from '../../src/store/redis-lock.js';
import { parseRedisUrl } from '../../src/store/redis-url.js';
import type { DirectoryProvider } from '../../src/providers/provider.js';
import { createService, type Service } from '../../src/index.js';
import { captureLogger, testConfig } from '../helpers/service.js';
import { socketmapClient, type SocketmapClient } from '../helpers/socketmap-client.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

/** A directory file with `n` mailboxes user0..user(n-1)@example.com plus `extra` YAML lines. */
export function directoryYaml(n: number, extra = ''): string {
  const lines = ['mailboxes:'];
  for (let i = 0; i < n; i++) lines.push(`  - address: user${i}@example.com`, `    aliases: [alias${i}@example.com]`);
  return `${lines.join('\n')}\n${extra}`;
}

/** A directory file in its own temp dir, rewritten by `write`. */
export function directoryFile(yaml: string): { path: string; write: (yaml: string) => void; remove: () => void } {
  const tmp = tempDir();
  const path = join(tmp.path, 'directory.yaml');
  writeFileSync(path, yaml);
  return { path, write: (y) => writeFileSync(path, y), remove: tmp.remove };
}

/** Wraps a provider to count how often the directory is fetched. */
export function countingProvider(inner: DirectoryProvider): DirectoryProvider & { fetches: number } {
  const counted = {
    name: inner.name, strict: inner.strict, fetches: 0,
    fetchDirectory: (signal: AbortSignal) => (counted.fetches++, inner.fetchDirectory(signal)),
    ...(inner.watch && { watch: inner.watch.bind(inner) }),
    ...(inner.fetchChanges && { fetchChanges: inner.fetchChanges.bind(inner) }),
  };
  return counted;
}

/** One mailroster server on a Redis store, with a socketmap client connected to it. */
export interface Node {
  readonly service: Service;
  readonly provider: DirectoryProvider & { fetches: number };
  readonly logs: () => Record<string, unknown>[];
  /** Sends `map key` over socketmap; resolves with the reply payload (`OK ...`, `NOTFOUND `, `TEMP ...`). */
  query(map: string, key: string): Promise<string>;
  stop(): Promise<void>;
}

/** Store and sync settings that keep the tests quick: fast polls, short lock, short timeouts. */
export function fastStoreConfig(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    store: { url, pollIntervalMs: 200, connectTimeoutMs: 500, commandTimeoutMs: 1000, ...(extra.store as object) },
    sync: { lockTtlSeconds: 2, intervalSeconds: 300, retryInitialSeconds: 0.2, retryMaxSeconds: 1, ...(extra.sync as object) },
  };
}

/** Starts a server on `url` reading `file`; `provider` replaces the file provider when given. */
export async function startNode(url: string, file: string, options: { extra?: Record<string, unknown>; provider?: DirectoryProvider } = {}): Promise<Node> {
  const config = testConfig({ provider: { type: 'file', file: { path: file } }, ...fastStoreConfig(url, options.extra) });
  const { logger, lines } = captureLogger();
  const provider = countingProvider(options.provider ?? new FileProvider(file));
  const service = createService(config, { logger, provider });
  await service.start();
  let client: SocketmapClient | undefined;
  return {
    service, provider, logs: lines,
    query: async (map, key) => {
      client ??= await socketmapClient(service.socketmap.addresses[0]!);
      return client.query(map, key);
    },
    stop: async () => {
      client?.close();
      await service.stop();
    },
  };
}

/** A RedisStore on its own (no service), for store-level tests and the benchmark. */
export function redisStore(
  url: string,
  options: { leader?: boolean; followOnly?: boolean; lock?: LockNames; logger?: Logger; logLength?: number; keyPrefix?: string; fullWriteBatch?: number } = {},
): RedisStore {
  return new RedisStore({
    target: parseRedisUrl(url), keyPrefix: options.keyPrefix ?? 'mailroster', maxStalenessSeconds: 0, pollIntervalMs: 200, logLength: options.logLength ?? 1000,
    connect: { passwordFile: '', tlsCaFile: '', commandTimeoutMs: 30_000, connectTimeoutMs: 3000 },
    ...(options.leader && { leadership: { lockTtlMs: 15_000, ...options.lock } }), ...(options.followOnly && { leadership: 'follow' as const }),
    ...(options.fullWriteBatch !== undefined && { fullWriteBatch: options.fullWriteBatch }),
    logger: options.logger ?? pino({ level: 'silent' }),
  });
}

/** A leader that has synced one directory file into a shared Redis, and a follower of it. */
export interface NodePair {
  readonly file: ReturnType<typeof directoryFile>;
  readonly leader: Node;
  readonly follower: Node;
  /** Stops both servers and removes the file; the Redis belongs to the caller. */
  stop(): Promise<void>;
}

/** A {@link NodePair} on a Redis of its own; `stop` stops the servers, then the Redis. */
export interface RedisPair extends NodePair {
  readonly redis: RedisServer;
}

/** Starts a Redis of its own and a pair on it (see startPair), for one suite to share. */
export async function startRedisPair(yaml: string): Promise<RedisPair> {
  const redis = await startRedis();
  try {
    const pair = await startPair(redis.url, yaml);
    const stop = async (): Promise<void> => {
      await pair.stop();
      await redis.stop();
    };
    return { ...pair, redis, stop };
  } catch (err) {
    await redis.stop();
    throw err;
  }
}

/** Starts the leader, waits for its first sync, then starts the follower. */
export async function startPair(url: string, yaml: string, options: { follower?: Record<string, unknown>; timeoutMs?: number } = {}): Promise<NodePair> {
  const file = directoryFile(yaml);
  const leader = await startNode(url, file.path);
  await waitFor(() => leader.service.store.current(), options.timeoutMs ?? 10_000, 'the leader to sync the directory');
  const follower = await startNode(url, file.path, { extra: options.follower ?? {} });
  return {
    file, leader, follower,
    stop: async () => {
      await follower.stop();
      await leader.stop();
      file.remove();
    },
  };
}
