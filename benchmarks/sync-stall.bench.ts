import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { runSliced, runSteps } from '../src/directory/build-steps.js';
import type { DirectoryData, MailboxEntry } from '../src/directory/directory-data.js';
import { Directory } from '../src/directory/directory.js';
import { patchSteps } from '../src/directory/indexed-directory.js';
import { AuthLookup } from '../src/lookup/auth-lookup.js';
import { ResolverCache } from '../src/lookup/resolver-cache.js';
import { toAuthHttpReply, usersReplySteps } from '../src/servers/replies.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { LARGE_DIRECTORY } from '../src/ops/heap-release.js';
import { diffDirectories } from '../src/sync/directory-diff.js';
import { parseDirectoryText } from '../src/providers/directory-file-parse.js';
import { FileProvider } from '../src/providers/file-provider.js';
import { stringify as stringifyYaml } from 'yaml';
import { tempDir } from '../test/helpers/temp.js';
import { SyncEngine } from '../src/sync/sync-engine.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { redisStore } from '../test/store/redis-fixtures.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { message } from './child-messages.js';
import { longestGap } from './loop-gaps.js';
import { syntheticDirectory } from './synthetic-directory.js';

/** Mailboxes whose quota each resync changes: a sync that finds a few changes, as most do. */
const CHANGED = 100;
/** Share of the directory one large change puts (past a tenth, the next one rebuilds it whole). */
const LARGE_CHANGE = 0.11;
/** The turns watched after a sync returns: the collection heap-release.ts runs a second later. */
const TAIL_MS = 1500;

/**
 * Lookups wait for whatever holds the event loop. A leader's full sync and a follower's large
 * change build (part of) the directory: this measures the longest gap between two turns while
 * they run, against the time the same work held the loop when it ran in one turn (as it did
 * before builds were sliced), measured in the same run.
 */
const bench: Benchmark = async ({ quick }) => {
  const rows: BenchResult[] = [];
  for (const n of quick ? [10_000] : [100_000, 1_000_000]) rows.push(...(await leaderSync(n)), ...(await userList(n)));
  rows.push(await fileRead('yaml', quick ? 2_000 : 50_000), await fileRead('json', quick ? 10_000 : 1_000_000));
  rows.push(...(await followerLargeChange(quick ? 10_000 : 100_000)));
  return rows;
};
export default bench;

/** The directory a provider answers in round `round`: CHANGED quotas differ from the round before. */
function answer(n: number, round: number): DirectoryData {
  const data = syntheticDirectory(n);
  for (let i = 0; i < CHANGED; i++) (data.mailboxes[i] as MailboxEntry).quotaBytes = 2 ** 30 + round;
  return data;
}

/**
 * A leader's full sync (memory store) that finds CHANGED changes, the provider's data already
 * parsed and handed over (not kept: a provider's answer is garbage once the sync is done).
 */
async function leaderSync(n: number): Promise<BenchResult[]> {
  let next: DirectoryData | undefined = answer(n, 0);
  const provider = { name: 'bench', strict: false, fetchDirectory: () => Promise.resolve(next!).finally(() => (next = undefined)) };
  const store = new MemoryStore();
  const sync = new SyncEngine({ provider, store, logger: pino({ level: 'silent' }), intervalSeconds: 0, changesIntervalSeconds: 0 });
  await sync.syncNow();
  let sliced = { gapMs: 0, tailGapMs: 0, ms: 0 };
  // The collection after a load runs only for large directories: no tail to watch below that.
  const tailMs = n >= LARGE_DIRECTORY ? TAIL_MS : 0;
  // Warm: the first resync compiles the diff path (and is not watched after).
  for (let round = 1; round <= 3; round++) {
    next = answer(n, round);
    const m = await longestGap(() => sync.syncNow(), round > 1 ? tailMs : 0);
    if (m.result.status !== 'applied') throw new Error(`resync ${m.result.status}`);
    if (round > 1 && m.gapMs > sliced.gapMs) sliced = m;
  }
  // The same work in one turn, as a sync did it before: the build and the diff against what is served.
  let wholeMs = Infinity;
  for (let round = 4; round < 6; round++) {
    const data = answer(n, round);
    const start = performance.now();
    diffDirectories(store.current(), runSteps(Directory.buildSteps(data, { strict: false, source: 'bench' })));
    wholeMs = Math.min(wholeMs, performance.now() - start);
  }
  await sync.stop();
  const label = n >= 1e6 ? `${n / 1e6}M` : `${n / 1000}k`;
  const against = `the build and diff in one turn, as before (${wholeMs.toFixed(0)} ms)`;
  return [
    { name: `leader full sync, ${label} mailboxes (${CHANGED} changed): longest event-loop stall`, value: sliced.gapMs, unit: 'ms', ratio: { value: sliced.gapMs / wholeMs, against } },
    { name: `leader full sync, ${label}: build and diff in slices, start to served`, value: sliced.ms, unit: 'ms', ratio: { value: sliced.ms / wholeMs, against } },
    ...(tailMs > 0 ? [{ name: `leader full sync, ${label}: longest stall in the ${tailMs / 1000} s after (the one collection heap-release.ts runs)`, value: sliced.tailGapMs, unit: 'ms' }] : []),
  ];
}

/**
 * A file provider's read of a large directory file (what each edit of it sets off): the longest
 * stall while the file is read and parsed on its own thread and handed back in slices, against the
 * same text parsed in one turn (as it was before), same run.
 */
async function fileRead(format: 'yaml' | 'json', n: number): Promise<BenchResult> {
  const tmp = tempDir('mailroster-file-');
  try {
    const file = join(tmp.path, `directory.${format}`);
    const data = syntheticDirectory(n);
    const text = format === 'json' ? JSON.stringify(data) : stringifyYaml(data);
    writeFileSync(file, text);
    const provider = new FileProvider(file);
    // One of each: the parse in one turn takes seconds, and its length is the point, not its noise.
    const start = performance.now();
    parseDirectoryText(text, format === 'json');
    const wholeMs = performance.now() - start;
    const { gapMs } = await longestGap(() => provider.fetchDirectory(undefined, { serving: true }));
    const label = n >= 1e6 ? `${n / 1e6}M` : `${n / 1000}k`;
    const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
    return { name: `file provider reading ${label} mailboxes of ${format.toUpperCase()} (${mb} MB): longest event-loop stall`, value: gapMs, unit: 'ms', ratio: { value: gapMs / wholeMs, against: `the text parsed in one turn, as before (${wholeMs.toFixed(0)} ms)` } };
  } finally {
    tmp.remove();
  }
}

/**
 * Dovecot 2.4's user iteration (`doveadm -A`): the whole `/v1/users` reply of a fresh snapshot,
 * its sort and formatting included, against the same answer made in one turn (as it was before), same run.
 */
async function userList(n: number): Promise<BenchResult[]> {
  const store = new MemoryStore();
  await store.replace(Directory.build(syntheticDirectory(n), { strict: false, source: 'bench' }));
  const config = loadConfig({ env: {}, overrides: {} }).config;
  const lookup = (): AuthLookup => new AuthLookup(store, new ResolverCache(store, config.addresses), config.dict);
  // Each on a snapshot of its own (the sort is kept with a snapshot), alternately, best of two.
  let wholeMs = Infinity;
  let gapMs = Infinity;
  for (let round = 0; round < 2; round++) {
    await store.replace(Directory.build(syntheticDirectory(n), { strict: false, source: 'bench' }));
    const start = performance.now();
    toAuthHttpReply(runSteps(lookup().usersSteps()));
    wholeMs = Math.min(wholeMs, performance.now() - start);
    await store.replace(Directory.build(syntheticDirectory(n), { strict: false, source: 'bench' }));
    const sliced = async (): Promise<unknown> => {
      const answer = await runSliced(lookup().usersSteps());
      return answer.kind === 'users' && runSliced(usersReplySteps(answer.users));
    };
    gapMs = Math.min(gapMs, (await longestGap(sliced)).gapMs);
  }
  const label = n >= 1e6 ? `${n / 1e6}M` : `${n / 1000}k`;
  return [{ name: `Dovecot 2.4 user list (/v1/users), ${label} mailboxes: longest event-loop stall`, value: gapMs, unit: 'ms', ratio: { value: gapMs / wholeMs, against: `the list made in one turn, as before (${wholeMs.toFixed(0)} ms)` } }];
}

/**
 * A follower in its own process (follower-process.ts) taking two large changes from a leader:
 * the first becomes a layer of its own, the second pushes the patched share past a tenth, so the
 * follower rebuilds the whole directory (below 20k patched entries, --quick, it merges instead). Against the leader's own time to apply each patch in
 * one turn (what the follower did before), same run.
 */
async function followerLargeChange(n: number): Promise<BenchResult[]> {
  const redis = await startRedis();
  const leader = redisStore(redis.url, { leader: true, keyPrefix: 'stall' });
  const child = fork(fileURLToPath(new URL('./follower-process.js', import.meta.url)), [redis.url, 'stall'], { execArgv: ['--expose-gc'] });
  const rows: BenchResult[] = [];
  try {
    const data = syntheticDirectory(n);
    await leader.start();
    await leader.replace(Directory.build(data, { strict: true, source: 'bench' }));
    await message(child, 'ready');
    const size = Math.ceil(n * LARGE_CHANGE);
    for (const step of [0, 1]) {
      const address = `large${step}@d0.example`;
      const put = [{ address }, ...data.mailboxes.slice(step * size, (step + 1) * size).map((m) => ({ ...m, quotaBytes: 2 ** 20 }))];
      const patch = { mailboxes: { put, del: [] }, lists: { put: [], del: [] } };
      child.send({ watch: address });
      await message(child, 'watching');
      const base = leader.lastGood()!;
      const start = performance.now();
      const next = runSteps(patchSteps(base, patch));
      const wholeMs = performance.now() - start;
      // The leader's snapshot has the follower's shape: both apply the same patches to the same base.
      const what = next.parts.layers.length === 1 ? 'the whole directory rebuilt' : step === 0 ? 'a new layer' : 'layers merged';
      await leader.replace(next, { base, patch });
      await message(child, 'served');
      const { stallMs } = (await message(child, 'stallMs')) as { stallMs: number };
      rows.push({
        name: `follower in its own process taking a change of ${size.toLocaleString('en')} mailboxes of ${n / 1000}k (${what}): longest stall`,
        value: stallMs, unit: 'ms', ratio: { value: stallMs / wholeMs, against: `the same patch applied in one turn (${wholeMs.toFixed(0)} ms)` },
      });
    }
  } finally {
    child.send({ stop: true });
    await once(child, 'exit');
    await leader.close();
    await redis.stop();
  }
  return rows;
}
