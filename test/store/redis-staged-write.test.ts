import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { Directory } from '../../src/directory/directory.js';
import { StoreConflictError, StoreUnavailableError } from '../../src/store/store-errors.js';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { redisStore } from './redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

/** `n` mailboxes `<name>0..@example.com`, a list of the first two, and a record, all named by `name`. */
const directory = (name: string, n: number): Directory => Directory.build({
  mailboxes: Array.from({ length: n }, (_, i) => ({ address: `${name}${i}@example.com`, aliases: [`${name}-alias${i}@example.com`] })),
  lists: [{ address: `${name}-team@example.com`, members: [`${name}0@example.com`, `${name}1@example.com`] }],
  records: { [`User/${name}`]: { userName: name } },
}, { strict: true, source: 'test' });

// 0 while no key matches ARGV[1]; else 1, after deleting that key ('del') or setting ARGV[3] to
// ARGV[4] ('set'), in the same script: nothing of a write can happen between the look and the act.
const WHEN_STAGED = `local k = redis.call('KEYS', ARGV[1])
if #k == 0 then return 0 end
if ARGV[2] == 'del' then redis.call('DEL', k[1]) elseif ARGV[2] == 'set' then redis.call('SET', ARGV[3], ARGV[4], 'PX', 60000) end
return 1`;

/**
 * Waits until a key matches `pattern`, looking again at once: a whole chunked write of these
 * directories takes a few dozen ms, and a poll that slept between looks missed it under CI load
 * (the write had gone live). `then` runs in the script that finds the key.
 */
async function whenStaged(c: Redis, pattern: string, then: [] | ['del'] | ['set', string, string] = []): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await c.eval(WHEN_STAGED, 0, pattern, ...then)) === 0) {
    if (Date.now() > deadline) throw new Error(`no key matching ${pattern} appeared`);
  }
}

/** Which directory a set of hash fields is: the one name they all start with, or "mixed". */
const nameOf = (fields: string[]): string => {
  const names = new Set(fields.map((f) => /^[a-z]+/.exec(f)![0]));
  return names.size === 1 ? [...names][0]! : `mixed (${[...names].join(', ')})`;
};

/** "old" or "new" when the snapshot holds exactly one of the two directories, whole. */
const whole = (d: Directory | undefined): string => {
  const names = ['old', 'new'].filter((n) => d?.mailbox(`${n}0@example.com`) && d.mailbox(`${n}19999@example.com`) && d.list(`${n}-team@example.com`));
  return names.length === 1 && d?.mailboxCount === 20_000 ? names[0]! : `not one whole directory (${names.join(', ')})`;
};

describe('Redis store chunked full writes', { skip }, () => {
  let redis: RedisServer;
  before(async () => (redis = await startRedis()));
  after(async () => redis?.stop());

  test('readers during a chunked full write see the old directory or the new one, never a mix', async () => {
    const c = redis.client();
    const k = (name: string): string => `{mix}:${name}`;
    const writer = redisStore(redis.url, { leader: true, keyPrefix: 'mix', fullWriteBatch: 100 });
    const late = redisStore(redis.url, { keyPrefix: 'mix' });
    try {
      await writer.start();
      await writer.replace(directory('old', 20_000));
      const old = await Promise.all(['meta', 'mailboxes', 'lists', 'records'].map((n) => c.dumpBuffer(k(n))));
      await writer.replace(directory('new', 20_000)); // a patch: generation 2
      // Redis restored from older files: our epoch at generation 1, so the leader writes everything back.
      const restore = c.multi().del(k('log'));
      ['meta', 'mailboxes', 'lists', 'records'].forEach((n, i) => restore.restore(k(n), 0, old[i]!, 'REPLACE'));
      await restore.exec();
      void writer.refresh();
      const seen: string[] = [];
      let staged = 0;
      let lateFirst: Promise<string> | undefined;
      for (;;) {
        const [[, meta], [, mailboxes], [, lists], [, records], [, staging]] = (await c.multi().hgetall(k('meta')).hkeys(k('mailboxes')).hkeys(k('lists')).hkeys(k('records')).keys(k('staging:*')).exec())! as [unknown, unknown][] as [[null, Record<string, string>], [null, string[]], [null, string[]], [null, string[]], [null, string[]]];
        const records_ = records.map((r) => r.slice('User/'.length));
        const name = nameOf([...mailboxes, ...lists, ...records_]);
        assert.equal(mailboxes.length, 20_000, `a whole directory (${name})`);
        assert.equal(name, meta.generation === '1' ? 'old' : 'new', `generation ${meta.generation}`);
        // A follower starting mid-write takes one whole directory too.
        if (staging.length > 0 && name === 'old' && staged++ === 0) lateFirst = late.start().then(() => whole(late.current()));
        if (seen.at(-1) !== name) seen.push(name);
        if (meta.generation === '3') break;
      }
      assert.deepEqual(seen, ['old', 'new']);
      assert.ok(staged > 1, `read ${staged} times while the staging hashes filled`);
      assert.match(await lateFirst!, /^(old|new)$/);
      await waitFor(() => late.current()?.mailbox('new0@example.com'), 10_000, 'the late follower to take the new directory');
      assert.equal(late.current()?.mailbox('old0@example.com'), undefined);
      assert.equal(late.current()?.list('new-team@example.com')?.members.length, 2);
      for (const n of ['mailboxes', 'lists', 'records']) assert.equal(await c.pttl(k(n)), -1, `${n} kept no staging TTL`);
      assert.deepEqual(await c.keys(k('staging:*')), []);
    } finally {
      await late.close();
      await writer.close();
    }
  });

  test('a chunked write that lost the compare-and-set, or the lock, is refused, and its staging is removed', async () => {
    const c = redis.client();
    const writer = redisStore(redis.url, { leader: true, keyPrefix: 'cas', fullWriteBatch: 100 });
    const other = redisStore(redis.url, { keyPrefix: 'cas' });
    try {
      await Promise.all([writer.start(), other.start()]);
      const writing = writer.replace(directory('big', 20_000));
      await whenStaged(c, '{cas}:staging:*');
      await other.replace(directory('small', 10), { fenced: false }); // one script: lands first
      await assert.rejects(writing, StoreConflictError);
      assert.equal(nameOf(await c.hkeys('{cas}:mailboxes')), 'small');
      assert.deepEqual(await c.keys('{cas}:staging:*'), []);


      // Another server took the lock while the staging hashes filled.
      const fenced = redisStore(redis.url, { leader: true, keyPrefix: 'fence', fullWriteBatch: 100 });
      try {
        await fenced.start();
        const refused = fenced.replace(directory('big', 20_000));
        await whenStaged(c, '{fence}:staging:*', ['set', '{fence}:leader', 'someone-else']);
        await assert.rejects(refused, /no longer holds the sync lock/);
        assert.equal(await c.exists('{fence}:meta', '{fence}:mailboxes'), 0);
        assert.deepEqual(await c.keys('{fence}:staging:*'), []);
      } finally {
        await fenced.close();
      }
    } finally {
      await other.close();
      await writer.close();
    }
  });

  test('staging hashes that lose fields before the commit (expired under a slow writer) make the write fail, not go live', async () => {
    const c = redis.client();
    const writer = redisStore(redis.url, { keyPrefix: 'gone', fullWriteBatch: 100 });
    try {
      await writer.start();
      const writing = writer.replace(directory('big', 20_000));
      await whenStaged(c, '{gone}:staging:*:mailboxes', ['del']);
      await assert.rejects(writing, (err: unknown) => err instanceof StoreUnavailableError && /expired/.test(err.message));
      assert.equal(await c.exists('{gone}:meta', '{gone}:mailboxes'), 0);
      assert.deepEqual(await c.keys('{gone}:staging:*'), []);
      await writer.replace(directory('big', 20_000)); // and the next attempt writes it whole
      assert.equal(await c.hlen('{gone}:mailboxes'), 20_000);
    } finally {
      await writer.close();
    }
  });

  test('a writer killed half-way leaves only staging hashes that expire, and none of it reaches the next write', async () => {
    const c = redis.client();
    const child = fork(fileURLToPath(new URL('../helpers/full-writer-process.js', import.meta.url)), [redis.url, 'dead', '200000'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    try {
      await waitFor(async () => (await c.hlen((await c.keys('{dead}:staging:*:mailboxes'))[0] ?? '-')) > 1000, 20_000, 'the dying writer to stage entries');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const leftovers = await c.keys('{dead}:staging:*');
    assert.ok(leftovers.length > 0);
    for (const key of leftovers) {
      const ttl = await c.pttl(key);
      assert.ok(ttl > 0 && ttl <= 60_000, `${key} expires (PTTL ${ttl})`);
    }
    assert.equal(await c.exists('{dead}:meta'), 0, 'nothing went live');

    // Its lock is still held until it expires: the next writer here is an unfenced one (a one-shot run).
    const writer = redisStore(redis.url, { keyPrefix: 'dead', fullWriteBatch: 100 });
    const reader = redisStore(redis.url, { keyPrefix: 'dead' });
    try {
      await writer.start();
      await writer.replace(directory('next', 5000));
      assert.equal(nameOf(await c.hkeys('{dead}:mailboxes')), 'next');
      assert.equal(await c.hlen('{dead}:mailboxes'), 5000);
      assert.deepEqual((await c.keys('{dead}:staging:*')).sort(), leftovers.sort(), 'only the dead writer\'s keys remain, untouched');
      await reader.start();
      assert.equal(reader.current()?.mailboxCount, 5000);
      assert.equal(reader.current()?.mailbox('dead0@example.com'), undefined);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
