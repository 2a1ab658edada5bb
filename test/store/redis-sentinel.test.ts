import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { startRedis, startRedisSentinel, type RedisServer } from '../helpers/redis-server.js';
import { directoryYaml, startPair, type Node, type NodePair } from './redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

describe('Redis behind Sentinel', { skip }, () => {
  let redis: RedisServer;
  let sentinel: Awaited<ReturnType<typeof startRedisSentinel>>;
  let pair: NodePair;
  let file: NodePair['file'];
  let follower: Node;

  before(async () => {
    redis = await startRedis();
    sentinel = await startRedisSentinel(redis.port);
    pair = await startPair(sentinel.url, directoryYaml(3));
    ({ file, follower } = pair);
  });
  after(async () => {
    await pair?.stop();
    await sentinel?.stop();
    await redis?.stop();
  });

  test('servers find the master through Sentinel, sync and follow', async () => {
    assert.equal(await follower.query('mailbox', 'user1@example.com'), 'OK example.com/user1/');
    assert.equal(await redis.client().hlen('{mailroster}:mailboxes'), 3, 'written to the master Sentinel named');
    file.write(directoryYaml(3, '  - address: ivan@example.com\n'));
    await waitFor(async () => (await follower.query('mailbox', 'ivan@example.com')) === 'OK example.com/ivan/', 10_000, 'ivan on the follower');
    assert.equal(follower.provider.fetches, 0);
  });
});
