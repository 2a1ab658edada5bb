import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { directoryFile, directoryYaml, startNode, type Node } from '../store/redis-fixtures.js';
import { cliEnv, spawnServe } from './cli-process.js';

const skip = missingBinaries('redis-server', 'redis-cli');

describe('sync leader', { skip }, () => {
  let redis: RedisServer;
  let file: ReturnType<typeof directoryFile>;
  let leader: ReturnType<typeof spawnServe>;
  let follower: Node;

  before(async () => {
    redis = await startRedis();
    file = directoryFile(directoryYaml(3));
    leader = spawnServe(cliEnv(redis.url, file.path, { MAILROSTER_SOCKETMAP_LISTEN: '127.0.0.1:0' }));
    const c = redis.client();
    await waitFor(async () => {
      if (leader.proc.exitCode !== null) throw new Error(`mailroster serve exited:\n${leader.output()}`);
      return (await c.hlen('{mailroster}:mailboxes')) === 3;
    }, 30_000, 'the leader process to sync');
    follower = await startNode(redis.url, file.path);
  });
  after(async () => {
    await leader?.kill();
    await follower?.stop();
    await redis?.stop();
    file?.remove();
  });

  test('a follower does not sync while the leader lives', async () => {
    file.write(directoryYaml(3, '  - address: frank@example.com\n'));
    await waitFor(async () => (await follower.query('mailbox', 'frank@example.com')) === 'OK example.com/frank/', 10_000, 'frank via the leader');
    assert.equal(follower.service.store.status().leader, false);
    assert.equal(follower.provider.fetches, 0);
  });

  test('when the leader is killed, the other server takes over syncing within the lock lifetime', async () => {
    await leader.kill(); // SIGKILL: the lock is not released, it has to expire
    await waitFor(() => follower.service.store.status().leader, 10_000, 'the follower to take the lock');
    // The last sync is recent, so the new leader waits for the file watch or the next interval.
    file.write(directoryYaml(3, '  - address: grace@example.com\n'));
    await waitFor(async () => (await follower.query('mailbox', 'grace@example.com')) === 'OK example.com/grace/', 10_000, 'grace via the new leader');
    assert.equal(await follower.query('mailbox', 'frank@example.com'), 'NOTFOUND ');
    assert.ok(follower.provider.fetches > 0);
    const c = redis.client();
    assert.ok(await c.hexists('{mailroster}:mailboxes', 'grace@example.com'), 'the new leader wrote to Redis');
  });
});
