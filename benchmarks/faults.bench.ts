import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createService } from '../src/index.js';
import { loadConfig } from '../src/config/config.js';
import { pollLookups, quantile } from '../test/helpers/lookup-poller.js';
import { waitFor } from '../test/helpers/net.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { tempDir } from '../test/helpers/temp.js';
import { directoryYaml } from '../test/store/redis-fixtures.js';
import type { Benchmark, BenchResult } from './bench-api.js';

/**
 * Lookups during faults: a server on a real redis-server and a directory file, polled over
 * socketmap by four lockstep clients (Postfix-like). Each fault window is measured against a
 * window without faults from the same run: lookups answered (all must still be right) and p99.
 */
const bench: Benchmark = async ({ quick }) => {
  const windowMs = quick ? 750 : 3000;
  const tmp = tempDir();
  const file = join(tmp.path, 'directory.yaml');
  writeFileSync(file, directoryYaml(1000));
  const redis = await startRedis();
  const config = loadConfig({ env: {}, overrides: {
    socketmap: { listen: ['127.0.0.1:0'] }, provider: { type: 'file', file: { path: file } },
    store: { url: redis.url, pollIntervalMs: 200, connectTimeoutMs: 500, commandTimeoutMs: 500 },
    sync: { lockTtlSeconds: 2, retryInitialSeconds: 0.2, retryMaxSeconds: 1 },
  } }).config;
  const service = createService(config, { logger: pino({ level: 'silent' }) });
  const rows: BenchResult[] = [];
  try {
    await service.start();
    await waitFor(() => service.store.current(), 15_000, 'the first sync');
    const ep = service.socketmap.addresses[0]!;
    const queries: [string, string, string][] = [['mailbox', 'user7@example.com', 'OK example.com/user7/'], ['alias', 'alias9@example.com', 'OK user9@example.com']];
    const measure = async (fault: () => Promise<void>, end: () => Promise<void>): Promise<{ rate: number; p99: number; wrong: number }> => {
      const pollers = Array.from({ length: 4 }, () => pollLookups(ep, queries, 0));
      const t0 = Date.now();
      await fault();
      await new Promise((r) => setTimeout(r, Math.max(0, windowMs - (Date.now() - t0))));
      const results = await Promise.all(pollers.map((p) => p.stop()));
      const elapsed = (Date.now() - t0) / 1000;
      await end();
      const latencies = results.flatMap((r) => r.latencies);
      return { rate: latencies.length / elapsed, p99: quantile(latencies, 0.99), wrong: results.reduce((n, r) => n + r.wrong.length, 0) };
    };
    const none = async (): Promise<void> => undefined;
    await measure(none, none); // warm-up: JIT and connection set-up stay out of the baseline
    const baseline = await measure(none, none);
    const restored = (): Promise<unknown> => waitFor(async () => (await redis.client().hget('{mailroster}:meta', 'epoch').catch(() => null)) !== null, 20_000, 'redis restored');
    const faults: [string, () => Promise<void>, () => Promise<void>][] = [
      ['redis killed (then restarted empty)', () => redis.kill(), async () => { await redis.restart(); await restored(); }],
      ['redis paused (SIGSTOP: commands hang)', async () => redis.pause(), async () => { redis.resume(); await restored(); }],
      ['directory file broken', async () => writeFileSync(file, `${directoryYaml(1000)}  - address: broken\n`), async () => writeFileSync(file, directoryYaml(1000))],
    ];
    rows.push({ name: 'faults: lookups/s without a fault (4 lockstep clients)', value: baseline.rate, unit: 'ops/s' });
    rows.push({ name: 'faults: p99 without a fault', value: baseline.p99, unit: 'ms' });
    for (const [name, fault, end] of faults) {
      const r = await measure(fault, end);
      rows.push({ name: `faults: lookups/s, ${name}`, value: r.rate, unit: 'ops/s', ratio: { value: r.rate / baseline.rate, against: 'no fault' } });
      rows.push({ name: `faults: p99, ${name}`, value: r.p99, unit: 'ms', ratio: { value: r.p99 / baseline.p99, against: 'no fault' } });
      rows.push({ name: `faults: wrong answers (NOTFOUND/TEMP for existing users), ${name}`, value: r.wrong, unit: 'replies' });
    }
  } finally {
    await service.stop();
    await redis.stop();
    tmp.remove();
  }
  return rows;
};

export default bench;
