import { Directory } from '../src/directory/directory.js';
import { patchDirectory } from '../src/directory/indexed-directory.js';
import { DEFAULT_ADDRESS_RULES } from '../src/directory/resolve.js';
import { lookupSocketmap } from '../src/lookup/socketmap-lookup.js';
import { ResolverCache } from '../src/lookup/resolver-cache.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { redisStore } from '../test/store/redis-fixtures.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { syntheticDirectory } from './synthetic-directory.js';

let MAILBOXES = 100_000;
const LOOKUPS = 200_000;
const ROUND_TRIPS = 5_000;
const CHANGES = 10;

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * The Redis store on a private redis-server: lookups from the in-process replica against one Redis
 * round trip (what a lookup would cost with Redis on the hot path), a 100k-mailbox full write and
 * warm start, and how long one changed mailbox takes to reach a follower's replica.
 */
const bench: Benchmark = async ({ quick }) => {
  if (quick) MAILBOXES = 10_000;
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
    rows.push({ name: `redis full write, ${MAILBOXES / 1000}k mailboxes (one Lua script)`, value: seconds(t), unit: 's' });
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
    // The follower's event loop while it takes the change (the leader, in this same process, is
    // idle by then): the longest gap between two turns is what a lookup arriving meanwhile waits.
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
    rows.push({ name: 'follower event loop while taking a change: longest stall', value: stallMs, unit: 'ms', ratio: { value: stallMs / 5, against: 'the 5 ms bound' } });
    rows.push({ name: `one changed mailbox: diff + write, ${MAILBOXES / 1000}k directory`, value: (writeS / CHANGES) * 1000, unit: 'ms' });
    rows.push({ name: 'one changed mailbox: written until a follower serves it', value: (reachS / CHANGES) * 1000, unit: 'ms', ratio: { value: reachS / CHANGES, against: 'the 1 s bound' } });
  } finally {
    await follower.close();
    await leader.close();
    await redis.stop();
  }
  return rows;
};
export default bench;
