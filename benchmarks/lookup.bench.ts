import { Directory } from '../src/directory/directory.js';
import { DEFAULT_ADDRESS_RULES } from '../src/directory/resolve.js';
import { lookupSocketmap } from '../src/lookup/socketmap-lookup.js';
import { ResolverCache } from '../src/lookup/resolver-cache.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { BIG_LIST, syntheticDirectory } from './synthetic-directory.js';

function timeLoop(n: number, fn: (i: number) => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n; // µs per op
}

/** In-process cost of building a snapshot and of single lookups, against a bare Map.get. */
const bench: Benchmark = async ({ quick }) => {
  const rows: BenchResult[] = [];
  const size = quick ? 10_000 : 100_000;
  const label = `${size / 1000}k`;
  const data = syntheticDirectory(size);
  const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const buildStart = process.hrtime.bigint();
  const dir = Directory.build(data, { strict: true, source: 'bench' });
  const buildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9;
  gc();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  rows.push({ name: `directory build, ${label} mailboxes + ${label} aliases`, value: buildSeconds, unit: 's' });
  rows.push({ name: `directory heap, ${label} mailboxes + ${label} aliases`, value: heapMiB, unit: 'MiB' });

  const cache = new ResolverCache({ current: () => dir, unavailableReason: () => '' }, DEFAULT_ADDRESS_RULES);
  const keys = data.mailboxes.map((m) => m.aliases![0]!);
  const misses = keys.map((k) => `x${k}`);
  const map = new Map(keys.map((k) => [k, k]));
  const N = quick ? 100_000 : 500_000;
  const baseline = timeLoop(N, (i) => map.get(keys[i % keys.length]!));
  const hit = timeLoop(N, (i) => lookupSocketmap(cache, 'alias', keys[i % keys.length]!));
  const miss = timeLoop(N, (i) => lookupSocketmap(cache, 'alias', misses[i % misses.length]!));
  const ext = timeLoop(N, (i) => lookupSocketmap(cache, 'mailbox', data.mailboxes[i % keys.length]!.address.replace('@', '+tag@')));
  rows.push({ name: 'alias lookup in process, hit', value: hit, unit: 'µs/op', ratio: { value: hit / baseline, against: 'a bare Map.get' } });
  rows.push({ name: 'alias lookup in process, miss (catch-all checked)', value: miss, unit: 'µs/op', ratio: { value: miss / baseline, against: 'a bare Map.get' } });
  rows.push({ name: 'mailbox lookup in process, user+tag@', value: ext, unit: 'µs/op', ratio: { value: ext / baseline, against: 'a bare Map.get' } });

  const list = timeLoop(N / 100, () => lookupSocketmap(cache, 'alias', BIG_LIST));
  rows.push({ name: 'alias lookup in process, 1,000-member list', value: list, unit: 'µs/op', ratio: { value: list / baseline, against: 'a bare Map.get' } });
  return rows;
};
export default bench;
