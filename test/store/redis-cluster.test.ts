import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { Directory } from '../../src/directory/directory.js';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-server.js';
import { directoryYaml, redisStore, startPair, type Node, type NodePair } from './redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

describe('Redis Cluster (three masters on loopback)', { skip }, () => {
  let cluster: RedisCluster;
  let pair: NodePair;
  let file: NodePair['file'];
  let leader: Node;
  let follower: Node;

  before(async () => {
    cluster = await startRedisCluster();
    const yaml = directoryYaml(3, 'lists:\n  - address: team@example.com\n    members: [user0@example.com, user1@example.com]\n');
    // No poll to speak of: the follower learns of writes by cluster pub/sub alone.
    pair = await startPair(cluster.url, yaml, { timeoutMs: 15_000, follower: { store: { pollIntervalMs: 3_600_000 } } });
    ({ file, leader, follower } = pair);
  });
  after(async () => {
    await pair?.stop();
    await cluster?.stop();
  });

  test('both servers answer lookups from the directory kept in the cluster', async () => {
    for (const node of [leader, follower]) {
      assert.equal(await node.query('mailbox', 'user2@example.com'), 'OK example.com/user2/');
      assert.equal(await node.query('alias', 'team@example.com'), 'OK user0@example.com,user1@example.com');
      assert.equal(await node.query('mailbox', 'nobody@example.com'), 'NOTFOUND ');
    }
    assert.equal(follower.provider.fetches, 0);
  });

  test('a sync reaches both servers, and all keys share one slot', async () => {
    file.write(directoryYaml(2, '  - address: heidi@example.com\n'));
    for (const node of [leader, follower]) {
      await waitFor(async () => (await node.query('mailbox', 'heidi@example.com')) === 'OK example.com/heidi/', 15_000, 'heidi on both');
      await waitFor(async () => (await node.query('alias', 'team@example.com')) === 'NOTFOUND ', 15_000, 'the list removed');
    }
    const c = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      const slots = await Promise.all(['meta', 'mailboxes', 'lists', 'log', 'leader'].map((k) => c.cluster('KEYSLOT', `{mailroster}:${k}`)));
      assert.equal(new Set(slots).size, 1);
      assert.equal(await c.hlen('{mailroster}:mailboxes'), 3);
    } finally {
      c.disconnect();
    }
  });

  test('a chunked full write stages and renames within the directory\'s slot', async () => {
    const writer = redisStore(cluster.url, { leader: true, keyPrefix: 'staged', fullWriteBatch: 2 });
    const reader = redisStore(cluster.url, { keyPrefix: 'staged' });
    try {
      await writer.start();
      await writer.replace(Directory.build({ mailboxes: Array.from({ length: 9 }, (_, i) => ({ address: `user${i}@example.com` })), lists: [{ address: 'team@example.com', members: ['user0@example.com'] }] }, { strict: true, source: 'test' }));
      await reader.start();
      assert.equal(reader.current()?.mailboxCount, 9);
      assert.deepEqual(reader.current()?.list('team@example.com')?.members, ['user0@example.com']);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
