import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Directory } from '../../src/directory/directory.js';
import { StoreConflictError } from '../../src/store/store-errors.js';
import type { RedisStore } from '../../src/store/redis-store.js';
import { missingBinaries } from '../helpers/binaries.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { redisStore } from './redis-fixtures.js';

const directory = (...addresses: string[]): Directory => Directory.build({ mailboxes: addresses.map((address) => ({ address })) }, { strict: true, source: 'test' });

describe('who takes the sync lock', { skip: missingBinaries('redis-server') }, () => {
  let redis: RedisServer;
  const open: RedisStore[] = [];
  let n = 0;
  /** A started store on a key prefix of this test's own. */
  const started = async (prefix: string, options: Parameters<typeof redisStore>[1]): Promise<RedisStore> => {
    const store = redisStore(redis.url, { keyPrefix: prefix, ...options });
    open.push(store);
    await store.start();
    return store;
  };

  before(async () => (redis = await startRedis()));
  after(async () => {
    for (const s of open) await s.close();
    await redis?.stop();
  });

  test('a follow-only store never leads, even with the lock free, and refuses a sync write', async () => {
    const prefix = `follow${n++}`;
    const follower = await started(prefix, { followOnly: true });
    assert.equal(follower.leadership?.held, false);
    await assert.rejects(follower.replace(directory('alice@example.com')), StoreConflictError);
    // What a sync leader writes, it serves.
    const leader = await started(prefix, { leader: true });
    assert.equal(leader.leadership?.held, true);
    await leader.replace(directory('alice@example.com'));
    await follower.refresh();
    assert.deepEqual(follower.current()?.mailboxCount, 1);
    // A pushed change (SCIM) is not a sync: any server writes it, checked by its base alone.
    await follower.replace(directory('alice@example.com', 'bob@example.com'), { fenced: false, base: follower.lastGood() });
    await leader.refresh();
    assert.equal(leader.current()?.mailboxCount, 2);
    assert.equal(follower.status().leader, false);
  });

  test('the heir of a dead holder takes its lock at once; heirs of another pid or another host wait for it to expire', async () => {
    const prefix = `heir${n++}`;
    // How a primary names its workers' tokens: host, a random cluster name, pid.
    const holder = await started(prefix, { leader: true, lock: { tokenPrefix: 'mail:c0ffee:10:' } });
    assert.equal(holder.leadership?.held, true);
    for (const heirOf of ['mail:c0ffee:1:', 'mail:c0ffee:100:', 'mail:beef00:10:']) {
      const stranger = await started(prefix, { leader: true, lock: { tokenPrefix: 'mail:c0ffee:11:', heirOf } });
      assert.equal(stranger.leadership?.held, false, `a live lock is not taken by the heir of ${heirOf}`);
    }
    const heir = await started(prefix, { leader: true, lock: { tokenPrefix: 'mail:c0ffee:12:', heirOf: 'mail:c0ffee:10:' } });
    assert.equal(heir.leadership?.held, true, 'taken at the first attempt, not after the 15 s lifetime');
    // Its write is fenced with its own token now; the old holder's is not accepted.
    await heir.replace(directory('carol@example.com'));
    await holder.refresh();
    await assert.rejects(holder.replace(directory('mallory@example.com'), { base: holder.lastGood() }), /no longer holds the sync lock/);
  });
});
