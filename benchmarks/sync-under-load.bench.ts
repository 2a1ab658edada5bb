import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from '../test/helpers/net.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { tempDir } from '../test/helpers/temp.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { compileLoadClient, runLoad, startMailroster, treeRssMiB, type LoadStats } from './loadgen/processes.js';
import { syntheticDirectory } from './synthetic-directory.js';

/** MAILROSTER_BENCH_MAILBOXES=1000000 measures at a million (about two minutes more). */
const MAILBOXES = Number(process.env.MAILROSTER_BENCH_MAILBOXES ?? 100_000);
/** Mailboxes whose quota the resync changes: a sync that finds a few changes, as most do. */
const CHANGED = 100;
const CONNECTIONS = 16;

/** One server layout under test. */
interface Layout {
  readonly name: string;
  /** 0: one process; else `workers` (beside them, the sync worker). */
  readonly workers: number;
}
const LAYOUTS: readonly Layout[] = [
  { name: 'one process', workers: 0 },
  { name: 'workers: 2 and the sync worker', workers: 2 },
];

interface Window {
  readonly stats: LoadStats;
  /** From the file's change to the new generation in Redis (undefined: no sync in this window). */
  readonly syncMs?: number;
  /** Resident memory of every process of the layout after the window. */
  readonly rssMiB?: number;
  /** False when the window ended before the sync did (the rows then cover only part of it). */
  readonly inWindow?: boolean;
}

/**
 * What Postfix sees while the sync leader runs a full sync: the closed-loop C client keeps 16
 * connections busy while the directory file is replaced by one with CHANGED quotas changed (the
 * file provider's watch starts a full sync: read, parse, build, diff, write to Redis). One process
 * leads and serves, so the sync's build and its collections pause its lookups; with workers the
 * sync worker leads and the serving workers only take the patch. Each layout is measured over the
 * same window with and without a sync, on its own Redis, same run.
 */
const bench: Benchmark = async ({ quick }) => {
  const n = quick ? 10_000 : MAILBOXES;
  // A window long enough for the sync under load (at 1M: 8-15 s); one that ends first is reported so.
  const w = quick ? { warmupS: 0.2, measureS: 1, changeAtS: 0.3 } : n >= 1e6 ? { warmupS: 1, measureS: 20, changeAtS: 2 } : { warmupS: 1, measureS: 6, changeAtS: 1 };
  const label = n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
  const tmp = tempDir('mailroster-sync-load-');
  const rows: BenchResult[] = [];
  try {
    const bin = await compileLoadClient(tmp.path);
    const keys = join(tmp.path, 'hit.keys');
    const stride = Math.max(1, Math.floor(n / 50_000));
    const user = (j: number): number => (j * stride) % n;
    writeFileSync(keys, Array.from({ length: 50_000 }, (_, j) => `mailbox user${user(j)}@d${user(j) % 10}.example`).join('\n') + '\n');
    const file = join(tmp.path, 'directory.json');
    const data = syntheticDirectory(n);
    const results = new Map<string, { idle: Window; sync: Window }>();
    for (const layout of LAYOUTS) {
      writeFileSync(file, JSON.stringify(data));
      // Written before the load starts: only a rename happens inside the window.
      const next = join(tmp.path, 'next.json');
      for (let i = 0; i < CHANGED; i++) data.mailboxes[i]!.quotaBytes = 2 ** 30 + results.size + 1;
      writeFileSync(next, JSON.stringify(data));
      const redis = await startRedis();
      const watcher = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      const server = await startMailroster(join(tmp.path, 'mr.sock'), {
        MAILROSTER_PROVIDER_TYPE: 'file', MAILROSTER_PROVIDER_FILE_PATH: file, MAILROSTER_STORE_URL: redis.url,
      }, ['mailbox', 'user0@d0.example'], 180_000, layout.workers);
      try {
        const generation = async (): Promise<string | null> => watcher.hget('{mailroster}:meta', 'generation');
        const idle = { stats: await runLoad(bin, server.tcp, CONNECTIONS, w.warmupS, w.measureS, keys) };
        const before = await generation();
        let changedAt = 0;
        let syncedAt = 0;
        const trigger = setTimeout(() => {
          changedAt = performance.now();
          renameSync(next, file);
        }, (w.warmupS + w.changeAtS) * 1000);
        const poll = setInterval(() => void generation().then((g) => g !== before && changedAt > 0 && syncedAt === 0 && (syncedAt = performance.now())), 50);
        const stats = await runLoad(bin, server.tcp, CONNECTIONS, w.warmupS, w.measureS, keys).finally(() => clearTimeout(trigger));
        // A sync still running when the window ends: its end is waited for, and the rows say so.
        const inWindow = syncedAt > 0;
        await waitFor(() => syncedAt > 0, 120_000, `${layout.name}: the full sync to reach Redis`).finally(() => clearInterval(poll));
        if (stats.temp + stats.other > 0) throw new Error(`${layout.name}: ${stats.temp + stats.other} TEMP/unexpected replies during the sync`);
        // Settled: past the collection heap-release.ts runs after a large load (small with --quick).
        await new Promise((resolve) => setTimeout(resolve, quick ? 500 : 3000));
        results.set(layout.name, { idle, sync: { stats, inWindow, syncMs: syncedAt - changedAt, rssMiB: treeRssMiB(server.pid) } });
      } finally {
        await server.stop();
        watcher.disconnect();
        await redis.stop();
      }
    }
    const one = results.get(LAYOUTS[0]!.name)!;
    for (const layout of LAYOUTS) {
      const { idle, sync } = results.get(layout.name)!;
      const part = sync.inWindow ? '' : ' (the window ended before the sync did)';
      const what = `${layout.name}, hits during a full sync of ${label} (${CHANGED} changed)${part}, TCP, ${CONNECTIONS} conn`;
      const vsOne = layout === LAYOUTS[0] ? undefined : one.sync.stats;
      // A latency against one process's during its sync; one process's own against its window without a sync.
      const against = (pick: (s: LoadStats) => number, shown: (v: number) => string): NonNullable<BenchResult['ratio']> => {
        const base = vsOne ?? idle.stats;
        return { value: pick(sync.stats) / pick(base), against: `${vsOne ? 'one process' : 'the same window without a sync'} (${shown(pick(base))})` };
      };
      rows.push(
        { name: `${what}: longest lookup`, value: sync.stats.max_us / 1000, unit: 'ms', ratio: against((s) => s.max_us, (v) => `${(v / 1000).toFixed(1)} ms`) },
        { name: `${what}: p99.9`, value: sync.stats.p999_us, unit: 'µs', ratio: against((s) => s.p999_us, (v) => `${v.toFixed(0)} µs`) },
        {
          name: `${what}: throughput over the ${w.measureS} s window`, value: sync.stats.rps, unit: 'req/s',
          ratio: { value: sync.stats.rps / idle.stats.rps, against: `the same window without a sync (${idle.stats.rps.toFixed(0)} req/s)` },
        },
        { name: `${what}: from the file's change to the new generation in Redis`, value: sync.syncMs! / 1000, unit: 's' },
        {
          name: `${layout.name}, ${label}: resident memory of every process after the sync`, value: sync.rssMiB!, unit: 'MiB',
          ...(vsOne && { ratio: { value: sync.rssMiB! / one.sync.rssMiB!, against: `one process (${one.sync.rssMiB!.toFixed(0)} MiB)` } }),
        },
      );
    }
  } finally {
    tmp.remove();
  }
  return rows;
};
export default bench;
