import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { directoryFile, directoryYaml, startNode, type Node } from './redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

/** Queries `nodes` in a loop until stopped; collects every reply that is not the expected one. */
function pollLookups(nodes: Node[], queries: [string, string, string][]): { stop: () => Promise<{ count: number; wrong: string[] }> } {
  let running = true;
  let count = 0;
  const wrong: string[] = [];
  const loop = (async () => {
    while (running) {
      for (const node of nodes) {
        for (const [map, key, expected] of queries) {
          const reply = await node.query(map, key);
          count++;
          if (reply !== expected) wrong.push(`${map} ${key}: ${reply}`);
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return { stop: async () => ((running = false), await loop, { count, wrong }) };
}

describe('Redis outages', { skip }, () => {
  let redis: RedisServer;
  let file: ReturnType<typeof directoryFile>;
  let leader: Node;
  let follower: Node;
  let strict: Node;
  let late: Node | undefined;

  before(async () => {
    redis = await startRedis();
    file = directoryFile(directoryYaml(3));
    leader = await startNode(redis.url, file.path);
    await waitFor(() => leader.service.store.current(), 10_000, 'the first sync');
    follower = await startNode(redis.url, file.path);
    strict = await startNode(redis.url, file.path, { extra: { store: { maxStalenessSeconds: 1 } } });
  });
  after(async () => {
    for (const n of [late, strict, follower, leader]) await n?.stop();
    await redis?.stop();
    file?.remove();
  });

  test('Redis killed, a new server started meanwhile, Redis back empty: existing users never get NOTFOUND', async () => {
    const queries: [string, string, string][] = [['mailbox', 'user0@example.com', 'OK example.com/user0/'], ['alias', 'alias1@example.com', 'OK user1@example.com']];
    const poller = pollLookups([leader, follower], queries);

    await redis.kill();
    await waitFor(() => leader.service.store.status().connected === false && follower.service.store.status().connected === false, 10_000, 'both servers to notice');
    assert.equal(await follower.query('mailbox', 'user2@example.com'), 'OK example.com/user2/', 'the replica keeps serving');
    assert.equal(await follower.query('mailbox', 'nobody@example.com'), 'NOTFOUND ', 'a complete directory is still held');
    const status = follower.service.store.status();
    assert.equal(status.ready, true);
    await waitFor(() => (follower.service.store.status().staleSeconds ?? 0) > 0.5, 10_000, 'staleness to grow');

    // Past store.maxStalenessSeconds the replica is withheld: TEMP, never an outdated answer.
    await waitFor(async () => (await strict.query('mailbox', 'user0@example.com')).startsWith('TEMP '), 10_000, 'TEMP past maxStalenessSeconds');

    late = await startNode(redis.url, file.path);
    assert.match(await late.query('mailbox', 'user0@example.com'), /^TEMP redis unreachable/);
    assert.match(await late.query('mailbox', 'nobody@example.com'), /^TEMP /);
    assert.equal(late.provider.fetches, 0, 'a server that is not the leader does not sync');

    await redis.restart();
    const c = redis.client();
    await waitFor(async () => (await c.hget('{mailroster}:meta', 'epoch')) !== null, 15_000, 'the leader to restore the directory into Redis');
    assert.equal(await c.hlen('{mailroster}:mailboxes'), 3);
    for (const node of [follower, strict, late]) {
      await waitFor(async () => (await node.query('mailbox', 'user0@example.com')) === 'OK example.com/user0/', 15_000, 'every server to serve from Redis again');
    }
    await waitFor(() => follower.service.store.status().connected === true && follower.service.store.status().detail === undefined, 10_000, 'the follower to confirm');

    const { count, wrong } = await poller.stop();
    assert.ok(count > 0);
    assert.deepEqual(wrong, [], 'every lookup during the outage answered from the replica');
  });

  test('after the restore, an edit reaches every server again', async () => {
    file.write(directoryYaml(3, '  - address: erin@example.com\n'));
    for (const node of [leader, follower, strict, late!]) {
      await waitFor(async () => (await node.query('mailbox', 'erin@example.com')) === 'OK example.com/erin/', 10_000, 'erin everywhere');
    }
  });

  test('Redis restarted from an older snapshot file: nobody goes back in time, the leader restores the newer directory', async () => {
    const c = redis.client();
    await c.save(); // dump.rdb now holds erin
    file.write(directoryYaml(3, '  - address: erin@example.com\n  - address: frida@example.com\n'));
    await waitFor(async () => (await follower.query('mailbox', 'frida@example.com')) === 'OK example.com/frida/', 10_000, 'frida everywhere');
    const poller = pollLookups([follower], [['mailbox', 'frida@example.com', 'OK example.com/frida/']]);
    await redis.kill();
    await redis.restart(); // loads the older dump.rdb: same epoch, older generation, no frida
    const fresh = redis.client();
    await waitFor(async () => (await fresh.hexists('{mailroster}:mailboxes', 'frida@example.com')) === 1, 15_000, 'the leader to write its newer replica back');
    await waitFor(() => follower.service.store.status().connected === true && follower.service.store.status().detail === undefined, 10_000, 'the follower to confirm');
    const { count, wrong } = await poller.stop();
    assert.ok(count > 0);
    assert.deepEqual(wrong, []);
    // Whichever server holds the lock after the restart restores (the others may never see the old data).
    assert.ok([leader, follower, strict, late!].some((n) => n.logs().some((l) => l.msg === 'restored the directory into redis from the replica')));
  });
});
