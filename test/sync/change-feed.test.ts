import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import type { DirectoryChange, DirectoryProvider } from '../../src/providers/provider.js';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { directoryFile, startNode, type Node } from '../store/redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

/** One shared identity provider with a change feed: cursor N means "the first N changes seen". */
class FeedProvider {
  data: DirectoryData = { mailboxes: [{ address: 'alice@example.com', id: 'u1' }, { address: 'bob@example.com', id: 'u2' }] };
  readonly feed: DirectoryChange[] = [];

  /** A view of the provider for one server, recording the cursors that server asked with. */
  client(): DirectoryProvider & { cursors: (string | undefined)[] } {
    const cursors: (string | undefined)[] = [];
    return {
      name: 'feed', strict: true, cursors,
      fetchDirectory: async () => this.data,
      fetchChanges: async (cursor) => {
        cursors.push(cursor);
        return { changes: this.feed.slice(Number(cursor ?? this.feed.length)), cursor: String(this.feed.length) };
      },
    };
  }
}

describe('provider change feed through Redis', { skip }, () => {
  let redis: RedisServer;
  const idp = new FeedProvider();
  const file = directoryFile('mailboxes: []\n'); // unused: the feed provider replaces the file
  let leader: Node;
  let follower: Node;
  const leaderIdp = idp.client();
  const followerIdp = idp.client();

  before(async () => {
    redis = await startRedis();
    leader = await startNode(redis.url, file.path, { provider: leaderIdp });
    await waitFor(() => leader.service.store.current(), 10_000, 'the first sync');
    follower = await startNode(redis.url, file.path, { provider: followerIdp });
  });
  after(async () => {
    await follower?.stop();
    await leader?.stop();
    await redis?.stop();
    file.remove();
  });

  test('single-entry changes reach the follower as a patch, without a full sync', async () => {
    idp.feed.push({ op: 'upsert-mailbox', mailbox: { address: 'carol@example.com', id: 'u3', aliases: ['c@example.com'] } });
    idp.feed.push({ op: 'upsert-mailbox', mailbox: { address: 'alice.new@example.com', id: 'u1' } });
    assert.equal(await leader.service.sync.pullChanges(), 2);
    await waitFor(async () => (await follower.query('alias', 'c@example.com')) === 'OK carol@example.com', 10_000, 'carol on the follower');
    assert.equal(await follower.query('mailbox', 'alice@example.com'), 'NOTFOUND ', 'renamed by provider id');
    assert.equal(await follower.query('mailbox', 'alice.new@example.com'), 'OK example.com/alice.new/');
    assert.equal(leader.provider.fetches, 1, 'no full sync was needed');
    assert.deepEqual(followerIdp.cursors, [], 'the follower never asked the provider');
    const log = await redis.client().xrange('{mailroster}:log', '-', '+');
    const patch = JSON.parse(log.at(-1)![1][1]!);
    assert.deepEqual(patch.mailboxes.del, ['alice@example.com']);
    assert.deepEqual(patch.mailboxes.put.map((m: { address: string }) => m.address).sort(), ['alice.new@example.com', 'carol@example.com']);
  });

  test('the cursor is kept in Redis, so a new leader continues where the old one stopped', async () => {
    assert.equal(await redis.client().hget('{mailroster}:meta', 'cursor'), '2');
    await leader.stop(); // a clean stop hands the lock over at once
    await waitFor(() => follower.service.store.status().leader, 10_000, 'the follower to lead');
    idp.feed.push({ op: 'remove-mailbox', id: 'u2' });
    assert.equal(await follower.service.sync.pullChanges(), 1);
    assert.equal(followerIdp.cursors[0], '2');
    assert.equal(await follower.query('mailbox', 'bob@example.com'), 'NOTFOUND ');
  });
});
