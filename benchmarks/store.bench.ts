import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Directory } from '../src/directory/directory.js';
import { indexDirectory, patchDirectory } from '../src/directory/indexed-directory.js';
import { DEFAULT_ADDRESS_RULES } from '../src/directory/resolve.js';
import { lookupSocketmap } from '../src/lookup/socketmap-lookup.js';
import { ResolverCache } from '../src/lookup/resolver-cache.js';
import { startRedis, type RedisServer } from '../test/helpers/redis-server.js';
import { redisStore } from '../test/store/redis-fixtures.js';
import { median, type Benchmark, type BenchResult } from './bench-api.js';
import { message } from './child-messages.js';
import { syntheticDirectory } from './synthetic-directory.js';

/** MAILROSTER_BENCH_MAILBOXES=1000000 checks the follower rows at a million (a few minutes). */
let MAILBOXES = Number(process.env.MAILROSTER_BENCH_MAILBOXES ?? 100_000);
/** The warm start the issue sets a bound for (full runs only). */
const LARGE = 1_000_000;
const LOOKUPS = 200_000;
let ROUND_TRIPS = 5_000;
const CHANGES = 10;
/** Changes taken by the follower in its own process: enough for its small layers to merge a few times over (fewer with --quick). */
let FORKED_CHANGES = 40;
/** Changes it takes first, unmeasured: the first few compile the patch path (once per process, not per change). */
let FORKED_WARMUP = 10;

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * The Redis store on a private redis-server: lookups from the in-process replica against one Redis
 * round trip (what a lookup would cost with Redis on the hot path), a 100k-mailbox full write and
 * warm start, and how long one changed mailbox takes to reach a follower's replica.
 */
const bench: Benchmark = async ({ quick }) => {
  if (quick) [MAILBOXES, FORKED_CHANGES, FORKED_WARMUP, ROUND_TRIPS] = [10_000, 6, 3, 2_000];
  const redis = await startRedis();
  const rows: BenchResult[] = [];
  const leader = redisStore(redis.url, { leader: true, keyPrefix: 'bench' });
  const follower = redisStore(redis.url, { keyPrefix: 'bench' });
  try {
    const data = syntheticDirectory(MAILBOXES);
    const directory = Directory.build(data, { strict: true, source: 'bench' });
    await leader.start();
    let t = process.hrtime.bigint();
    await leader.replace(directory);
    rows.push({ name: `redis full write, ${MAILBOXES / 1000}k mailboxes (chunked into staging hashes, made live by one Lua script)`, value: seconds(t), unit: 's' });
    t = process.hrtime.bigint();
    await follower.start();
    rows.push({ name: `warm start: read + build ${MAILBOXES / 1000}k mailboxes from redis`, value: seconds(t), unit: 's' });

    const cache = new ResolverCache(follower, DEFAULT_ADDRESS_RULES);
    const keys = data.mailboxes.map((m) => m.aliases![0]!);
    t = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) lookupSocketmap(cache, i % 2 ? 'alias' : 'mailbox', i % 4 < 2 ? keys[i % keys.length]! : `nobody${i}@d1.example`);
    const replicaUs = (seconds(t) * 1e6) / LOOKUPS;
    const client = redis.client();
    t = process.hrtime.bigint();
    for (let i = 0; i < ROUND_TRIPS; i++) await client.hget('{bench}:mailboxes', data.mailboxes[i % MAILBOXES]!.address);
    const redisUs = (seconds(t) * 1e6) / ROUND_TRIPS;
    rows.push({ name: 'lookup from the replica (hits and misses, mixed maps)', value: 1e6 / replicaUs, unit: 'ops/s', ratio: { value: redisUs / replicaUs, against: 'one Redis HGET round trip on loopback' } });
    rows.push({ name: 'Redis HGET round trip on loopback (baseline)', value: 1e6 / redisUs, unit: 'ops/s' });

    let writeS = 0;
    let reachS = 0;
    // The in-process follower's event loop while it takes the change: the longest gap between two
    // turns. It shares the process with the leader, so it also holds collections of the garbage the
    // leader's build of the changed directory left; the forked follower below measures its own work.
    let stallMs = 0;
    for (let i = 0; i < CHANGES; i++) {
      const changed = Directory.build({ ...data, mailboxes: [...data.mailboxes, { address: `new${i}@d0.example` }] }, { strict: true, source: 'bench' });
      t = process.hrtime.bigint();
      await leader.replace(changed);
      writeS += seconds(t);
      t = process.hrtime.bigint();
      let last = process.hrtime.bigint();
      while (!follower.current()?.mailbox(`new${i}@d0.example`)) {
        await new Promise((r) => setImmediate(r));
        const now = process.hrtime.bigint();
        stallMs = Math.max(stallMs, Number(now - last) / 1e6);
        last = now;
      }
      reachS += seconds(t);
    }
    const patch = { mailboxes: { put: [{ address: 'one.more@d1.example', aliases: ['om@d1.example'] }], del: [data.mailboxes[7]!.address] }, lists: { put: [], del: [] } };
    const base = follower.current()!;
    const PATCHES = 200;
    t = process.hrtime.bigint();
    for (let i = 0; i < PATCHES; i++) patchDirectory(base, patch);
    const patchUs = (seconds(t) * 1e6) / PATCHES;
    t = process.hrtime.bigint();
    Directory.build(base.data, { strict: false, source: 'bench' });
    const rebuildUs = seconds(t) * 1e6;
    rows.push({ name: `apply a one-mailbox patch to a ${MAILBOXES / 1000}k snapshot (in process)`, value: patchUs, unit: 'µs', ratio: { value: patchUs / rebuildUs, against: `a full rebuild (${(rebuildUs / 1000).toFixed(0)} ms)` } });
    rows.push({ name: "follower in the leader's process taking a change (the leader's build and GC included): longest stall", value: stallMs, unit: 'ms' });
    rows.push({ name: `one changed mailbox: diff + write, ${MAILBOXES / 1000}k directory`, value: (writeS / CHANGES) * 1000, unit: 'ms' });
    rows.push({ name: 'one changed mailbox: written until a follower serves it', value: (reachS / CHANGES) * 1000, unit: 'ms', ratio: { value: reachS / CHANGES, against: 'the 1 s bound' } });

    await follower.close();
    rows.push(...(await forkedFollower(redis.url, leader)));
    if (!quick) rows.push(...(await largeWarmStart(redis)));
  } finally {
    await follower.close();
    await leader.close();
    await redis.stop();
  }
  return rows;
};
export default bench;

/**
 * A follower in its own process (follower-process.ts) taking one-mailbox changes the leader makes
 * as patches: the longest event-loop stall it sees while taking one, lookups running every turn.
 */
async function forkedFollower(url: string, leader: ReturnType<typeof redisStore>): Promise<BenchResult[]> {
  const child = fork(fileURLToPath(new URL('./follower-process.js', import.meta.url)), [url, 'bench'], { execArgv: ['--expose-gc'] });
  try {
    await message(child, 'ready');
    const stalls: number[] = [];
    const cpus: number[] = [];
    let floorMs = 0;
    let reachS = 0;
    for (let i = 0; i < FORKED_WARMUP + FORKED_CHANGES; i++) {
      const address = `forked${i}@d0.example`;
      child.send({ watch: address });
      await message(child, 'watching');
      const base = leader.lastGood()!;
      const patch = { mailboxes: { put: [{ address }], del: [] }, lists: { put: [], del: [] } };
      const served = message(child, 'served');
      await leader.replace(patchDirectory(base, patch), { base, patch });
      const t = process.hrtime.bigint();
      await served;
      const reached = seconds(t);
      const { stallMs, cpuMs } = (await message(child, 'stallMs')) as { stallMs: number; cpuMs: number };
      if (i < FORKED_WARMUP) continue;
      child.send({ idle: true });
      floorMs = Math.max(floorMs, ((await message(child, 'stallMs')) as { stallMs: number }).stallMs);
      reachS += reached;
      stalls.push(stallMs);
      cpus.push(cpuMs);
    }
    const longest = Math.max(...stalls);
    const cpu = Math.max(...cpus);
    const medianStall = median(stalls);
    return [
      { name: `follower in its own process taking a change, ${MAILBOXES / 1000}k: longest stall`, value: longest, unit: 'ms', ratio: { value: longest / 5, against: 'the 5 ms bound' } },
      { name: 'the same follower idle, as long (the floor the machine sets): longest stall', value: floorMs, unit: 'ms', ratio: { value: longest / floorMs, against: 'taking a change vs idle' } },
      { name: `follower in its own process taking a change, ${MAILBOXES / 1000}k: its CPU time in its longest turn`, value: cpu, unit: 'ms', ratio: { value: cpu / 5, against: 'the 5 ms bound' } },
      { name: `follower in its own process taking a change, ${MAILBOXES / 1000}k: median of each change's longest stall`, value: medianStall, unit: 'ms', ratio: { value: medianStall / 5, against: 'the 5 ms bound' } },
      { name: 'one changed mailbox: written until a follower in its own process serves it', value: (reachS / FORKED_CHANGES) * 1000, unit: 'ms', ratio: { value: reachS / FORKED_CHANGES / 0.05, against: 'the 50 ms bound' } },
    ];
  } finally {
    child.send({ stop: true });
    await once(child, 'exit');
  }
}

/**
 * A 1M-mailbox full write into an empty Redis, chunked, against the same directory written as
 * arguments of the one script (what every full write did before, and a directory of one batch
 * still does), same run; then a 1M warm start, start to answering, against the same values read
 * as strings, parsed and built whole (how a warm start read them before it built from the stored
 * bytes). The one-script write runs last, so the warm start rows are measured as before; it reuses
 * memory the writes and reads before it left to the allocator, so its growth is if anything
 * understated.
 */
async function largeWarmStart(redis: RedisServer): Promise<BenchResult[]> {
  const keyPrefix = 'bench1m';
  const leader = redisStore(redis.url, { leader: true, keyPrefix });
  const oneScript = redisStore(redis.url, { leader: true, keyPrefix: 'bench1mone', fullWriteBatch: Infinity });
  const follower = redisStore(redis.url, { keyPrefix });
  try {
    await Promise.all([leader.start(), oneScript.start()]);
    const directory = Directory.build(syntheticDirectory(LARGE), { strict: true, source: 'bench' });
    const chunked = await peakGrowth(() => leader.replace(directory));
    const client = redis.client();
    globalThis.gc?.();
    let t = process.hrtime.bigint();
    const [mailboxes, lists] = await Promise.all([client.hvals(`{${keyPrefix}}:mailboxes`), client.hvals(`{${keyPrefix}}:lists`)]);
    const parsed = indexDirectory({ domains: JSON.parse((await client.hget(`{${keyPrefix}}:meta`, 'domains'))!), mailboxes: mailboxes.map((v) => JSON.parse(v)), lists: lists.map((v) => JSON.parse(v)) });
    const baseline = seconds(t);
    if (parsed.directory.mailboxCount !== LARGE + 1) throw new Error('baseline read the wrong directory');
    globalThis.gc?.();
    t = process.hrtime.bigint();
    await follower.start();
    const warm = seconds(t);
    if (follower.current()?.mailboxCount !== LARGE + 1) throw new Error('warm start did not load the directory');
    const whole = await peakGrowth(() => oneScript.replace(directory));
    const size = `${LARGE / 1e6}M mailboxes`;
    return [
      { name: `redis full write, ${size} into an empty Redis (chunked): the writer's peak RSS growth`, value: chunked.mb, unit: 'MB', ratio: { value: chunked.mb / whole.mb, against: `the one-script write (${whole.mb.toFixed(0)} MB)` } },
      { name: `redis full write, ${size} into an empty Redis (chunked): time`, value: chunked.s, unit: 's', ratio: { value: chunked.s / whole.s, against: `the one-script write (${whole.s.toFixed(1)} s)` } },
      { name: `warm start: start to answering, ${size} + ${LARGE / 1e6}M aliases from redis`, value: warm, unit: 's', ratio: { value: warm / baseline, against: `reading, parsing and building every value (${baseline.toFixed(1)} s)` } },
    ];
  } finally {
    await follower.close();
    await oneScript.close();
    await leader.close();
  }
}

/**
 * Runs `write`; returns its time and how far the resident memory of this process rose above where
 * it started. The peak is VmHWM after resetting it (Linux, /proc/self/clear_refs), and RSS
 * sampled meanwhile where that is missing: a sample cannot land while a synchronous step runs.
 */
async function peakGrowth(write: () => Promise<void>): Promise<{ s: number; mb: number }> {
  // Memory the last collection freed goes back to the system a moment later (V8 sweeps
  // concurrently): a baseline taken at once stood over the peak, and the chunked write read 0.
  for (let i = 0; i < 2; i++) {
    globalThis.gc?.();
    await sleep(200);
  }
  const before = process.memoryUsage().rss;
  const hwm = resetPeakRss() ? peakRss : () => 0;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t = process.hrtime.bigint();
  try {
    await write();
  } finally {
    clearInterval(sampler);
  }
  const s = seconds(t);
  return { s, mb: (Math.max(peak, process.memoryUsage().rss, hwm()) - before) / 2 ** 20 };
}

/** Sets VmHWM back to the current RSS ("5" to clear_refs); false where the kernel has no such file. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM of this process in bytes. */
function peakRss(): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
}
