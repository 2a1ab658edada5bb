import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-server.js';
import { directoryFile, directoryYaml, startNode, type Node } from './redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

describe('Redis Cluster (three masters on loopback)', { skip }, () => {
  let cluster: RedisCluster;
  let file: ReturnType<typeof directoryFile>;
  let leader: Node;
  let follower: Node;

  before(async () => {
    cluster = await startRedisCluster();
    file = directoryFile(directoryYaml(3, 'lists:\n  - address: team@example.com\n    members: [user0@example.com, user1@example.com]\n'));
    leader = await startNode(cluster.url, file.path);
    await waitFor(() => leader.service.store.current(), 15_000, 'the first sync into the cluster');
    // No poll to speak of: the follower learns of writes by cluster pub/sub alone.
    follower = await startNode(cluster.url, file.path, { extra: { store: { pollIntervalMs: 3_600_000 } } });
  });
  after(async () => {
    await follower?.stop();
    await leader?.stop();
    await cluster?.stop();
    file?.remove();
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
});
