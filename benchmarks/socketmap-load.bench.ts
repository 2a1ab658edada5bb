import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../test/helpers/temp.js';
import { startRedis } from '../test/helpers/redis-server.js';
import type { Benchmark, BenchOptions, BenchResult, Latency } from './bench-api.js';
import { compileLoadClient, procStats, runLoad, startFloor, startMailroster, treeCpuS, type LoadStats, type ServerProcess } from './loadgen/processes.js';
import { BIG_LIST, CATCH_ALL_DOMAIN, syntheticDirectory } from './synthetic-directory.js';

/** Request streams the C client cycles through, by scenario name. */
const WORKLOADS: Readonly<Record<string, (i: number) => string>> = {
  hit: (i) => `mailbox user${i}@d${i % 10}.example`,
  // A dictionary attack: hosted domain, unknown user; alias is the map Postfix asks first.
  miss: (i) => `alias nobody${i}@d${i % 10}.example`,
  'alias+ext': (i) => `alias alias${i}+tag${i % 7}@d${i % 10}.example`,
  'catch-all': (i) => `alias someone${i}@${CATCH_ALL_DOMAIN}`,
  'list of 1,000': () => `alias ${BIG_LIST}`,
};

/** The workloads `--quick` measures (at 16 connections over TCP, hits over UNIX too). */
const QUICK_WORKLOADS = new Set(['hit', 'miss', 'list of 1,000']);

const latencyOf = (s: LoadStats): Latency => ({ p50: s.p50_us, p99: s.p99_us, p999: s.p999_us });

/** Writes one key file per workload, keys spread over the whole directory. */
function keyFiles(dir: string, entries: number): Record<string, string> {
  const count = Math.min(entries, 50_000);
  const stride = Math.max(1, Math.floor(entries / count));
  const files: Record<string, string> = {};
  for (const [name, key] of Object.entries(WORKLOADS)) {
    const path = join(dir, `${name.replace(/\W+/g, '-')}.keys`);
    writeFileSync(path, Array.from({ length: count }, (_, j) => key((j * stride) % entries)).join('\n') + '\n');
    files[name] = path;
  }
  return files;
}

/** Runs one closed-loop scenario against `server`, with the server's CPU per request. */
async function measure(bin: string, server: ServerProcess, transport: 'tcp' | 'unix', connections: number, keyFile: string, o: Windows): Promise<{ stats: LoadStats; cpuUs: number }> {
  const before = procStats(server.pid).cpuS;
  const stats = await runLoad(bin, server[transport], connections, o.warmupS, o.measureS, keyFile);
  const cpuUs = ((procStats(server.pid).cpuS - before) * 1e6) / stats.all_requests;
  if (stats.temp + stats.other > 0) throw new Error(`${stats.temp + stats.other} TEMP/unexpected replies: the server is not serving`);
  return { stats, cpuUs };
}

interface Windows {
  readonly warmupS: number;
  readonly measureS: number;
  /** Floor/server pairs per scenario; the best of each counts (a shared machine only ever slows a run down). */
  readonly rounds: number;
}

type Measured = { stats: LoadStats; cpuUs: number };

/** Runs floor and server alternately `rounds` times; keeps each one's best run (highest throughput). */
async function paired(rounds: number, floor: () => Promise<Measured>, server: () => Promise<Measured>): Promise<[Measured, Measured]> {
  let best: [Measured | undefined, Measured | undefined] = [undefined, undefined];
  for (let r = 0; r < rounds; r++) {
    const f = await floor();
    const m = await server();
    best = [!best[0] || f.stats.rps > best[0].stats.rps ? f : best[0], !best[1] || m.stats.rps > best[1].stats.rps ? m : best[1]];
  }
  return best as [Measured, Measured];
}

/**
 * Postfix-like load from an independent C client (compiled now from loadgen/socketmap-load.c),
 * against the real `mailroster serve` and, in the same run, a bare Node server answering a
 * constant: throughput and HDR percentiles over TCP and UNIX at 1, 16 and 64 connections.
 */
const bench: Benchmark = async (options: BenchOptions) => {
  const quick = options.quick;
  const w: Windows = quick ? { warmupS: 0.2, measureS: 0.5, rounds: 1 } : { warmupS: 1, measureS: 2, rounds: 2 };
  const tmp = tempDir('mailroster-load-');
  const rows: BenchResult[] = [];
  const bin = await compileLoadClient(tmp.path);
  const mainSize = quick ? 10_000 : 100_000;
  const connections = quick ? [16] : [1, 16, 64];
  const transports = ['tcp', 'unix'] as const;
  const label = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  // The 1k server stays up until the 1M one is measured against it, alternately: rates taken
  // minutes apart moved by more than the gap between them.
  let small: { server: ServerProcess; keys: string } | undefined;
  try {
    // The floor stays up for the whole run and is measured right before each scenario with the
    // same transport and connection count, so both see the same machine load.
    const floor = await startFloor(join(tmp.path, 'floor.sock'));
    const floorKeys = keyFiles(tmp.path, mainSize).hit!;
    const floorRun = (t: 'tcp' | 'unix', c: number) => measure(bin, floor, t, c, floorKeys, w);
    await floorRun('tcp', 16); // JIT warm-up of the floor itself
    const sizes = quick ? [mainSize] : [1_000, mainSize, 1_000_000];
    for (const size of sizes) {
      const file = join(tmp.path, `directory-${size}.json`);
      writeFileSync(file, JSON.stringify(syntheticDirectory(size)));
      const keys = keyFiles(tmp.path, size);
      const server = await startMailroster(join(tmp.path, `mr-${size}.sock`), { MAILROSTER_PROVIDER_TYPE: 'file', MAILROSTER_PROVIDER_FILE_PATH: file }, ['mailbox', 'user0@d0.example']);
      const mem = procStats(server.pid);
      rows.push({ name: `start to answering, ${label(size)} mailboxes + ${label(size)} aliases, from a JSON file`, value: server.readySeconds, unit: 's' });
      try {
        const full = size === mainSize;
        for (const [workload, keyFile] of Object.entries(keys)) {
          if ((!full && workload !== 'hit') || (quick && !QUICK_WORKLOADS.has(workload))) continue;
          for (const t of full ? transports : (['tcp'] as const)) {
            for (const c of full ? connections : [16]) {
              if (quick && workload !== 'hit' && (t !== 'tcp' || c !== 16)) continue;
              if (!full && c !== 16) continue;
              // Hits, the headline rows, get the most rounds; the other workloads one pair each.
              const rounds = workload === 'hit' ? w.rounds : 1;
              const [f, { stats, cpuUs }] = await paired(rounds, () => floorRun(t, c), () => measure(bin, server, t, c, keyFile, w));
              const name = `socketmap ${workload}, ${label(size)}, ${t.toUpperCase()}, ${c} conn`;
              rows.push({ name: `${name}: throughput`, value: stats.rps, unit: 'req/s', ratio: { value: stats.rps / f.stats.rps, against: 'the floor' }, latency: latencyOf(stats), floorLatency: latencyOf(f.stats) });
              rows.push({ name: `${name}: p99`, value: stats.p99_us, unit: 'µs', ratio: { value: stats.p99_us / f.stats.p99_us, against: 'the floor' } });
              if (workload === 'hit' && c === 16 && t === 'tcp') {
                rows.push({ name: `${name}: server CPU per lookup`, value: cpuUs, unit: 'µs', ratio: { value: cpuUs / f.cpuUs, against: `the floor (${f.cpuUs.toFixed(1)} µs)` } });
              }
            }
          }
        }
        if (size === 1_000_000 && small) rows.push(await againstSmall(bin, small, server, keys.hit!, w));
        const after = procStats(server.pid);
        // Settled: after the scenarios, long after the post-load collection (heap-release.ts).
        rows.push({ name: `resident memory, ${label(size)} mailboxes + ${label(size)} aliases, settled after the load (${mem.rssMiB.toFixed(0)} MiB when first answering; peak ${after.peakRssMiB.toFixed(0)} MiB)`, value: after.rssMiB, unit: 'MiB' });
      } finally {
        if (size === 1_000 && !quick) small = { server, keys: keys.hit! };
        else await server.stop();
      }
    }
    await small?.server.stop();
    small = undefined;
    if (!quick) rows.push(...(await clusterScenarios(bin, tmp.path, mainSize, label, w, floorRun)));
    rows.push(...(await redisScenarios(bin, tmp.path, mainSize, label, w, () => floorRun('tcp', 16))));
    await floor.stop();
  } finally {
    await small?.server.stop();
    tmp.remove();
  }
  return rows;
};

/** Hits with 1M entries against the same with 1k, the two servers measured alternately (best of three each). */
async function againstSmall(bin: string, small: { server: ServerProcess; keys: string }, large: ServerProcess, keys: string, w: Windows): Promise<BenchResult> {
  const [s, l] = await paired(Math.max(w.rounds, 3), () => measure(bin, small.server, 'tcp', 16, small.keys, w), () => measure(bin, large, 'tcp', 16, keys, w));
  return {
    name: 'hit throughput with 1M entries vs 1k entries (TCP, 16 conn, alternately)', value: l.stats.rps, unit: 'req/s',
    ratio: { value: l.stats.rps / s.stats.rps, against: `the same with 1k entries (${s.stats.rps.toFixed(0)} req/s)` },
  };
}

/**
 * One process against `workers: 2` (round-robin, and accept left to the kernel), both on the Redis
 * store so that nothing but the worker count differs, same machine, same run: the workers are
 * worth their memory only if they win here.
 */
async function clusterScenarios(bin: string, dir: string, size: number, label: (n: number) => string, w: Windows, floorRun: (t: 'tcp' | 'unix', c: number) => Promise<Measured>): Promise<BenchResult[]> {
  const redis = await startRedis();
  const keys = keyFiles(dir, size);
  const rows: BenchResult[] = [];
  const env = { MAILROSTER_PROVIDER_TYPE: 'file', MAILROSTER_PROVIDER_FILE_PATH: join(dir, `directory-${size}.json`), MAILROSTER_STORE_URL: redis.url };
  // Kernel accept only over TCP: it balanced connections no differently in our checks.
  const scenarios = [{ t: 'tcp', c: 16, policies: ['rr', 'none'] }, { t: 'unix', c: 16, policies: ['rr'] }, { t: 'tcp', c: 64, policies: ['rr', 'none'] }] as const;
  try {
    for (const { t, c, policies } of scenarios) {
      const single = await startMailroster(join(dir, 'single.sock'), env, ['mailbox', 'user0@d0.example']);
      const [f, one] = await paired(w.rounds, () => floorRun(t, c), () => measure(bin, single, t, c, keys.hit!, w)).finally(() => single.stop());
      for (const policy of policies) {
        const multi = await startMailroster(join(dir, 'multi.sock'), { ...env, NODE_CLUSTER_SCHED_POLICY: policy }, ['mailbox', 'user0@d0.example'], 120_000, 2);
        try {
          const cpuBefore = treeCpuS(multi.pid);
          const stats = await runLoad(bin, multi[t], c, w.warmupS, w.measureS * w.rounds, keys.hit!);
          const cpuUs = ((treeCpuS(multi.pid) - cpuBefore) * 1e6) / stats.all_requests;
          rows.push({
            name: `socketmap hit, ${label(size)}, ${t.toUpperCase()}, ${c} conn, workers: 2 (${policy === 'rr' ? 'round-robin' : 'kernel accept'}): throughput`,
            value: stats.rps, unit: 'req/s', ratio: { value: stats.rps / one.stats.rps, against: `one process (${one.stats.rps.toFixed(0)} req/s, ${(one.stats.rps / f.stats.rps).toFixed(2)}x the floor; the workers ${(stats.rps / f.stats.rps).toFixed(2)}x)` },
            latency: latencyOf(stats), floorLatency: latencyOf(f.stats),
          });
          if (t === 'tcp' && c === 16 && policy === 'rr') {
            rows.push({
              name: `socketmap hit, ${label(size)}, TCP, 16 conn, workers: 2: server CPU per lookup (primary and workers)`, value: cpuUs, unit: 'µs',
              ratio: { value: cpuUs / one.cpuUs, against: `one process (${one.cpuUs.toFixed(1)} µs, ${(one.cpuUs / f.cpuUs).toFixed(2)}x the floor's)` },
            });
          }
        } finally {
          await multi.stop();
        }
      }
    }
  } finally {
    await redis.stop();
  }
  return rows;
}

/** The Redis store: a leader syncs the file into Redis; a second server starts warm from Redis and is measured. */
async function redisScenarios(bin: string, dir: string, size: number, label: (n: number) => string, w: Windows, floorRun: () => Promise<Measured>): Promise<BenchResult[]> {
  const redis = await startRedis();
  const file = join(dir, `directory-${size}.json`);
  const env = { MAILROSTER_PROVIDER_TYPE: 'file', MAILROSTER_PROVIDER_FILE_PATH: file, MAILROSTER_STORE_URL: redis.url };
  const keys = keyFiles(dir, size);
  const leader = await startMailroster(join(dir, 'leader.sock'), env, ['mailbox', 'user0@d0.example']);
  try {
    const follower = await startMailroster(join(dir, 'follower.sock'), env, ['mailbox', 'user0@d0.example']);
    try {
      const [{ stats: floor }, { stats }] = await paired(w.rounds, floorRun, () => measure(bin, follower, 'tcp', 16, keys.hit!, w));
      return [
        { name: `warm start from Redis, ${label(size)} mailboxes (start to answering)`, value: follower.readySeconds, unit: 's', ratio: { value: follower.readySeconds / leader.readySeconds, against: 'a cold start from the file' } },
        { name: `socketmap hit, ${label(size)}, Redis store, TCP, 16 conn: throughput`, value: stats.rps, unit: 'req/s', ratio: { value: stats.rps / floor.rps, against: 'the floor' }, latency: latencyOf(stats), floorLatency: latencyOf(floor) },
      ];
    } finally {
      await follower.stop();
    }
  } finally {
    await leader.stop();
    await redis.stop();
  }
}

export default bench;
