import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import type { Service } from '../../src/index.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import { missingBinaries } from '../helpers/binaries.js';
import { answer, startProviderService, testIdpOptions } from '../helpers/provider-service.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { fastStoreConfig } from '../store/redis-fixtures.js';

const SECRET = 'hook-secret-for-tests';

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('POST /hooks/authentik', () => {
  let ak: FakeAuthentik;
  let service: Service;
  let stop: () => Promise<void>;
  let url: string;
  const post = (body: unknown, headers: Record<string, string> = {}, query = '') =>
    fetch(`${url}${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  before(async () => {
    ak = await new FakeAuthentik().start();
    ak.addUser({ username: 'alice' });
    ak.addUser({ username: 'bob' });
    const provider = new AuthentikProvider({ ...testIdpOptions(), url: ak.url, token: ak.token });
    ({ service, stop } = await startProviderService(provider, 'alice@example.com', {
      http: { listen: '127.0.0.1:0' }, hooks: { authentik: { secret: SECRET } }, sync: { intervalSeconds: 0, changesIntervalSeconds: 0 },
    }));
    const ep = service.http.address!;
    url = `http://127.0.0.1:${ep.kind === 'tcp' ? ep.port : 0}/hooks/authentik`;
  });
  after(async () => {
    await stop();
    await ak.stop();
  });

  it('without the secret, or with a wrong one, is refused (401) and re-reads nothing', async () => {
    const alice = ak.update('alice', { attributes: { mailAlias: ['sneaky@example.com'] } });
    const seen = ak.requests.length;
    for (const headers of [{}, { 'x-mailroster-secret': 'wrong' }, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const r = await post({ model: { app: 'authentik_core', model_name: 'user', pk: alice.pk } }, headers);
      assert.equal(r.status, 401);
    }
    assert.equal((await post({}, {}, '?secret=wrong')).status, 401);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ak.requests.length, seen, 'Authentik was not asked');
    assert.equal(answer(service, 'alias', 'sneaky@example.com'), 'NOTFOUND');
  });

  it('a model event naming a user re-reads that user at once; duplicates are harmless', async () => {
    const alice = ak.update('alice', { attributes: { mailAlias: ['a.new@example.com'] } });
    const event = { model: { app: 'authentik_core', model_name: 'user', pk: alice.pk, name: 'alice' } };
    const replies = await Promise.all([post(event, { 'x-mailroster-secret': SECRET }), post(event, { authorization: `Bearer ${SECRET}` })]);
    assert.deepEqual(replies.map((r) => r.status), [202, 202]);
    await until(() => answer(service, 'alias', 'a.new@example.com') === 'alice@example.com', 'the alias from the re-read');
    assert.ok(ak.requests.some((r) => r.path === `/api/v3/core/users/${alice.pk}/`), 'one user was read by pk');
  });

  it("the default notification body (text) names a deleted user: the mailbox goes; the secret may sit in the URL", async () => {
    const bob = ak.users.find((u) => u.username === 'bob')!;
    ak.remove('bob');
    const text = `model_deleted: {'model': {'app': 'authentik_core', 'model_name': 'user', 'pk': ${bob.pk}, 'name': 'bob'}}`;
    const r = await post({ body: text, severity: 'notice', user_email: 'admin@example.com', user_username: 'akadmin' }, {}, `?secret=${SECRET}`);
    assert.equal(r.status, 202);
    await until(() => answer(service, 'mailbox', 'bob@example.com') === 'NOTFOUND', 'bob removed');
    assert.equal(answer(service, 'mailbox', 'alice@example.com'), 'example.com/alice/');
  });

  it('any other event runs the incremental sync', async () => {
    ak.addUser({ username: 'carol' });
    const r = await post({ body: 'Login failed', severity: 'warning' }, { 'x-mailroster-secret': SECRET });
    assert.equal(r.status, 202);
    await until(() => answer(service, 'mailbox', 'carol@example.com') === 'example.com/carol/', 'carol from the incremental sync');
  });
});

describe('POST /hooks/authentik on a follower (two servers, or two workers, sharing Redis)', { skip: missingBinaries('redis-server') }, () => {
  let ak: FakeAuthentik;
  let redis: RedisServer;
  const servers: { service: Service; stop: () => Promise<void> }[] = [];
  const hookOf = (service: Service): string => {
    const ep = service.http.address!;
    return `http://127.0.0.1:${ep.kind === 'tcp' ? ep.port : 0}/hooks/authentik`;
  };
  const post = (service: Service, body: unknown) =>
    fetch(hookOf(service), { method: 'POST', headers: { 'content-type': 'application/json', 'x-mailroster-secret': SECRET }, body: JSON.stringify(body) });

  before(async () => {
    ak = await new FakeAuthentik().start();
    ak.addUser({ username: 'alice' });
    redis = await startRedis();
    // No timer would bring a change in (no full syncs, no change polls): only the hook can.
    const overrides = {
      ...fastStoreConfig(redis.url, { sync: { intervalSeconds: 0, changesIntervalSeconds: 0 } }),
      http: { listen: '127.0.0.1:0' }, hooks: { authentik: { secret: SECRET } },
    };
    for (let i = 0; i < 2; i++) {
      servers.push(await startProviderService(new AuthentikProvider({ ...testIdpOptions(), url: ak.url, token: ak.token }), 'alice@example.com', overrides));
    }
  });
  after(async () => {
    for (const s of servers.reverse()) await s.stop();
    await redis?.stop();
    await ak?.stop();
  });

  it('is passed to the leader: the user is re-read there and both servers answer the change', async () => {
    const [leader, follower] = servers.map((s) => s.service) as [Service, Service];
    assert.equal(leader.store.status().leader, true);
    assert.equal(follower.store.status().leader, false);
    const alice = ak.update('alice', { attributes: { mailAlias: ['via.follower@example.com'] } });
    const r = await post(follower, { model: { app: 'authentik_core', model_name: 'user', pk: alice.pk } });
    assert.equal(r.status, 202);
    for (const s of [leader, follower]) await until(() => answer(s, 'alias', 'via.follower@example.com') === 'alice@example.com', 'the alias on both');
    assert.ok(ak.requests.some((q) => q.path === `/api/v3/core/users/${alice.pk}/`), 'the user was read by pk');
  });

  it('any other event reaching the follower runs the leader\'s incremental sync', async () => {
    const [leader, follower] = servers.map((s) => s.service) as [Service, Service];
    ak.addUser({ username: 'dave' });
    assert.equal((await post(follower, { body: 'Login failed', severity: 'warning' })).status, 202);
    for (const s of [leader, follower]) await until(() => answer(s, 'mailbox', 'dave@example.com') === 'example.com/dave/', 'dave on both');
  });
});
