import pino from 'pino';
import type { DirectoryChange } from '../src/directory/directory-change.js';
import { Directory } from '../src/directory/directory.js';
import type { DirectoryProvider } from '../src/providers/provider.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { SyncEngine } from '../src/sync/sync-engine.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { syntheticDirectory } from './synthetic-directory.js';

const seconds = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e9;

/**
 * The leader's change feed: one changed user per poll, applied to a large directory. The baseline,
 * in the same run, is what each poll cost before: a full build of the changed directory.
 */
const bench: Benchmark = async ({ quick }) => {
  const size = quick ? 10_000 : 100_000;
  const polls = quick ? 20 : 50;
  const data = syntheticDirectory(size);
  const feed: DirectoryChange[] = [];
  const provider: DirectoryProvider = {
    name: 'bench', strict: false,
    fetchDirectory: async () => data,
    fetchChanges: async (cursor) => ({ changes: feed.slice(Number(cursor ?? feed.length)), cursor: String(feed.length) }),
  };
  const store = new MemoryStore();
  const sync = new SyncEngine({ provider, store, logger: pino({ level: 'silent' }), intervalSeconds: 0 });
  await sync.syncNow();
  await sync.pullChanges(); // takes the cursor

  let applied = 0;
  let stallMs = 0;
  for (let i = 0; i < polls; i++) {
    feed.push({ op: 'upsert-mailbox', mailbox: { address: `user${i * 7}@d${(i * 7) % 10}.example`, aliases: [`moved${i}@d${(i * 7) % 10}.example`], quotaBytes: 2 ** 31 } });
    // The longest a lookup arriving meanwhile would wait: the poll runs on the lookup thread.
    const t = process.hrtime.bigint();
    await sync.pullChanges();
    const s = seconds(t);
    applied += s;
    stallMs = Math.max(stallMs, s * 1000);
  }
  if (!store.current()?.mailbox(`moved${(polls - 1)}@d${((polls - 1) * 7) % 10}.example`) && !store.current()?.aliasOwner(`moved${polls - 1}@d${((polls - 1) * 7) % 10}.example`)) throw new Error('the change feed did not apply the changes');
  const t = process.hrtime.bigint();
  Directory.build(store.current()!.data, { strict: false, source: 'bench' });
  const rebuild = seconds(t);
  await sync.stop();
  const label = `${size / 1000}k`;
  const rows: BenchResult[] = [
    { name: `leader change feed, one changed user per poll, ${label} directory: time per poll`, value: (applied / polls) * 1000, unit: 'ms', ratio: { value: applied / polls / rebuild, against: `a full build (${(rebuild * 1000).toFixed(0)} ms, what each poll cost before)` } },
    { name: `leader change feed, ${label} directory: longest poll (lookups wait meanwhile)`, value: stallMs, unit: 'ms' },
  ];
  return rows;
};

export default bench;
