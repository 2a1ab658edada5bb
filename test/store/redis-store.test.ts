import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Directory } from '../../src/directory/directory.js';
import { StoreConflictError } from '../../src/store/store-errors.js';
import type { RedisStore } from '../../src/store/redis-store.js';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { captureLogger } from '../helpers/service.js';
import { redisStore } from './redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

const directory = (n: number, extra: string[] = []): Directory => Directory.build({
  mailboxes: [...Array.from({ length: n }, (_, i) => ({ address: `user${i}@example.com`, aliases: [`a-long-alias-to-make-entries-bigger-${i}@example.com`] })), ...extra.map((address) => ({ address }))],
}, { strict: true, source: 'test' });

describe('Redis store writes', { skip }, () => {
  let redis: RedisServer;
  let writer: RedisStore;
  let reader: RedisStore;
  const readerLog = captureLogger();

  before(async () => {
    redis = await startRedis();
    writer = redisStore(redis.url, { leader: true });
    reader = redisStore(redis.url, { logger: readerLog.logger });
    await writer.start();
    await writer.replace(directory(1));
    await reader.start();
  });
  after(async () => {
    await reader?.close();
    await writer?.close();
    await redis?.stop();
  });

  const updates = () => readerLog.lines().filter((l) => l.msg === 'replica updated from redis').map((l) => l.via);

  test('a patch too big for the change log is left out; followers read everything once, then replay again', async () => {
    const big = directory(15_000);
    await writer.replace(big);
    await waitFor(() => reader.current()?.mailboxCount === 15_000, 20_000, 'the big write on the reader');
    assert.equal(await redis.client().xlen('{mailroster}:log'), 0, 'no 1 MiB+ entry in the log');
    assert.equal(updates().at(-1), 'full read');
    await writer.replace(directory(15_000, ['extra@example.com']));
    await waitFor(() => reader.current()?.mailbox('extra@example.com'), 10_000, 'the small write on the reader');
    assert.equal(updates().at(-1), 'log');
  });

  test('a write based on an outdated directory is refused, and nothing is written', async () => {
    const stale = reader.lastGood()!; // what a sync on the reader would have diffed against
    await writer.replace(directory(3));
    await waitFor(() => reader.current()?.mailboxCount === 3, 10_000, 'the reader to follow');
    await assert.rejects(reader.replace(directory(4), { base: stale }), StoreConflictError);
    assert.equal(await redis.client().hlen('{mailroster}:mailboxes'), 3);
  });

  test('a writer that lost the lock cannot write (fencing)', async () => {
    await redis.client().set('{mailroster}:leader', 'someone-else', 'PX', 60_000);
    await assert.rejects(writer.replace(directory(5)), /no longer holds the sync lock/);
    assert.equal(await redis.client().hlen('{mailroster}:mailboxes'), 3);
    await redis.client().del('{mailroster}:leader');
  });
});

describe('Redis store full writes', { skip }, () => {
  test('an empty Redis gets every entry as held, keyed as patches address them, and a fresh reader loads the same', async () => {
    const redis = await startRedis();
    const writer = redisStore(redis.url, { leader: true });
    const reader = redisStore(redis.url);
    try {
      await writer.start();
      const data = {
        domains: ['example.com', 'bücher.example'],
        mailboxes: [{ address: 'Jörg@Bücher.example', aliases: ['j@bücher.example'] }, { address: 'bob@example.com', quota: '1G' }],
        lists: [{ address: 'Team@Bücher.example', members: ['bob@example.com'] }],
        records: { 'User/1': { userName: 'bob' } },
      };
      await writer.replace(Directory.build(data, { strict: true, source: 'test' }));
      const c = redis.client();
      assert.deepEqual((await c.hkeys('{mailroster}:mailboxes')).sort(), ['bob@example.com', 'jörg@bücher.example']);
      assert.deepEqual(await c.hkeys('{mailroster}:lists'), ['team@bücher.example']);
      assert.equal(await c.hget('{mailroster}:mailboxes', 'bob@example.com'), '{"address":"bob@example.com","quotaBytes":1073741824}');
      assert.deepEqual(JSON.parse((await c.hget('{mailroster}:records', 'User/1'))!), { userName: 'bob' });
      await reader.start();
      assert.equal(reader.current()?.mailboxForLogin('j@xn--bcher-kva.example')?.address, 'jörg@bücher.example');
      assert.deepEqual(reader.current()?.explicitDomains, ['example.com', 'bücher.example']);
      // A patch deletes the list by the field the full write used.
      await writer.replace(Directory.build({ ...data, lists: [] }, { strict: true, source: 'test' }));
      assert.equal(await c.hlen('{mailroster}:lists'), 0);
    } finally {
      await reader.close();
      await writer.close();
      await redis.stop();
    }
  });
});
