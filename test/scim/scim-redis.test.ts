import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { missingBinaries } from '../helpers/binaries.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startScimNode, type ScimNode } from '../helpers/scim-service.js';
import { fastStoreConfig } from '../store/redis-fixtures.js';
import { authentikSequence, entraSequence } from './scim-sequences.js';

const skip = missingBinaries('redis-server', 'redis-cli');
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('SCIM on Redis with a follower', { skip }, () => {
  let redis: RedisServer;
  let leader: ScimNode;
  let follower: ScimNode;
  const store = () => ({ ...fastStoreConfig(redis.url, { sync: { deleteGuardFloor: 100 } }) });

  before(async () => {
    redis = await startRedis();
    leader = await startScimNode(store());
    follower = await startScimNode(store());
  });
  after(async () => {
    await follower?.stop();
    await leader?.stop();
    await redis?.stop();
  });

  it('an Authentik-like sequence pushed to the leader is answered by both within 1 s', async () => {
    await authentikSequence(leader, [leader, follower]);
  });

  it('an Entra-like sequence pushed to the follower is answered by both within 1 s', async () => {
    await entraSequence(follower, [follower, leader]);
  });

  it('two servers patching one group at once lose no member', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await leader.scim.request('POST', '/Users', { schemas: [USER], userName: `race${i}@example.com` });
      assert.equal(r.status, 201);
      ids.push(r.body.id);
    }
    const g = await leader.scim.request('POST', '/Groups', { schemas: [GROUP], displayName: 'race@example.com' });
    const patches = ids.map((id, i) => (i % 2 === 0 ? leader : follower).scim.request('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] }));
    const answers = await Promise.all(patches);
    assert.deepEqual(answers.map((a) => a.status), ids.map(() => 200));
    for (const node of [leader, follower]) {
      await waitForAnswer(node, 'race@example.com', 6);
    }
    const stored = await follower.scim.request('GET', `/Groups/${g.body.id}`);
    assert.equal(stored.body.members.length, 6);
  });

  it('a PUT racing a DELETE leaves the user either replaced or gone, never half', async () => {
    const u = await leader.scim.request('POST', '/Users', { schemas: [USER], userName: 'dana@example.com', emails: [{ value: 'd.alias@example.com' }] });
    const [put, del] = await Promise.all([
      follower.scim.request('PUT', `/Users/${u.body.id}`, { schemas: [USER], userName: 'dana@example.com', emails: [{ value: 'd.other@example.com' }] }),
      leader.scim.request('DELETE', `/Users/${u.body.id}`),
    ]);
    assert.equal(del.status, 204);
    assert.ok(put.status === 200 || put.status === 404, `PUT answered ${put.status}`);
    await new Promise((r) => setTimeout(r, 300));
    for (const node of [leader, follower]) {
      assert.equal(await node.socketmap('mailbox', 'dana@example.com'), 'NOTFOUND ');
      assert.equal(await node.socketmap('alias', 'd.alias@example.com'), 'NOTFOUND ');
      assert.equal(await node.socketmap('alias', 'd.other@example.com'), 'NOTFOUND ');
    }
  });

  it('the pushed directory survives a restart of every server', async () => {
    await follower.stop();
    await leader.stop();
    leader = await startScimNode(store());
    follower = await startScimNode(store());
    const list = await follower.scim.request('GET', '/Users?filter=userName%20eq%20%22race0@example.com%22');
    assert.equal(list.body.totalResults, 1);
    assert.equal(await leader.socketmap('mailbox', 'race0@example.com'), 'OK example.com/race0/');
  });
});

async function waitForAnswer(node: ScimNode, list: string, members: number): Promise<void> {
  const deadline = Date.now() + 1000;
  for (;;) {
    const answer = await node.socketmap('alias', list);
    if (answer.startsWith('OK ') && answer.slice(3).split(',').length === members) return;
    if (Date.now() > deadline) assert.fail(`${list}: ${answer}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
