import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createService, type Service } from '../../src/index.js';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import { missingBinaries } from '../helpers/binaries.js';
import { startDovecot, VMAIL_UID, type DovecotInstance } from '../helpers/dovecot-instance.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import { testIdpOptions } from '../helpers/provider-service.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { captureLogger, testConfig } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';
import { fastStoreConfig } from '../store/redis-fixtures.js';

/** Every value Redis holds, whatever its type, as one string (hashes, strings, streams, sets). */
export async function redisDump(client: Redis): Promise<string> {
  const out: string[] = [];
  for (const key of await client.keys('*')) {
    const type = await client.type(key);
    if (type === 'hash') out.push(JSON.stringify(await client.hgetall(key)));
    else if (type === 'string') out.push(String(await client.get(key)));
    else if (type === 'stream') out.push(JSON.stringify(await client.xrange(key, '-', '+')));
    else if (type === 'set') out.push(JSON.stringify(await client.smembers(key)));
    else if (type === 'zset') out.push(JSON.stringify(await client.zrange(key, '0', '-1', 'WITHSCORES')));
    else if (type === 'list') out.push(JSON.stringify(await client.lrange(key, 0, -1)));
  }
  return out.join('\n');
}

describe('Dovecot 2.3 sign-in with Authentik app passwords (Redis store)', { skip: missingBinaries('doveadm', 'dovecot', 'redis-server') }, () => {
  const sock = tempDir('mailroster-app-');
  const dictSocket = join(sock.path, 'dict.sock');
  let ak: FakeAuthentik;
  let redis: RedisServer;
  let dv: DovecotInstance;
  let service: Service;
  let logs: () => Record<string, unknown>[];
  const keys: Record<string, string> = {};
  let clockAhead = 0;

  before(async () => {
    ak = await new FakeAuthentik().start();
    const alice = ak.addUser({ username: 'alice', attributes: { mailPasswordHash: ['{PLAIN}main-pw', '{PLAIN}old-pw'] } });
    const bob = ak.addUser({ username: 'bob' });
    const dave = ak.addUser({ username: 'dave', is_active: false, attributes: { mailPasswordHash: '{PLAIN}dave-pw' } });
    keys.phone = ak.tokens.add(alice.pk, 'alice-phone').key;
    keys.laptop = ak.tokens.add(alice.pk, 'alice-laptop').key;
    // Expires in an hour; the test moves mailroster's clock past it, without another sync.
    keys.tablet = ak.tokens.add(alice.pk, 'alice-tablet', { expiring: true, expires: new Date(Date.now() + 3600_000).toISOString() }).key;
    keys.bob = ak.tokens.add(bob.pk, 'bob-phone').key;
    keys.dave = ak.tokens.add(dave.pk, 'dave-phone').key;
    redis = await startRedis();
    dv = await startDovecot({ dictSocket });
    const captured = captureLogger();
    logs = captured.lines;
    const config = testConfig({
      ...fastStoreConfig(redis.url, { sync: { intervalSeconds: 0 } }),
      dict: { listen: [dictSocket], userdb: { uid: String(VMAIL_UID), gid: String(VMAIL_UID), home: `${dv.vmail}/%d/%n` } },
    });
    const provider = new AuthentikProvider({ ...testIdpOptions({}, captured.logger), url: ak.url, token: ak.token });
    service = createService(config, { logger: captured.logger, provider, now: () => Date.now() + clockAhead });
    await service.start();
    const first = await service.sync.syncNow();
    assert.equal(first.status, 'applied', JSON.stringify(first));
  });
  after(async () => {
    await service?.stop();
    await dv?.stop();
    await redis?.stop();
    await ak?.stop();
    sock.remove();
  });

  const auth = async (user: string, password: string) => (await dv.doveadm('auth', 'test', user, password)).code;

  test('both app passwords of a user sign in, and so do both hashes of the hash attribute', async () => {
    assert.equal(await auth('alice@example.com', keys.phone!), 0);
    assert.equal(await auth('alice@example.com', keys.laptop!), 0);
    assert.equal(await auth('alice@example.com', 'main-pw'), 0);
    assert.equal(await auth('alice@example.com', 'old-pw'), 0, 'second hash: the second passdb slot');
    assert.equal(await auth('alice@example.com', 'wrong'), 77);
  });

  test("another user's app password is refused (77)", async () => {
    assert.equal(await auth('alice@example.com', keys.bob!), 77);
    assert.equal(await auth('bob@example.com', keys.bob!), 0);
  });

  test('a disabled mailbox is refused by password and by app password', async () => {
    assert.equal(await auth('dave@example.com', 'dave-pw'), 77);
    assert.equal(await auth('dave@example.com', keys.dave!), 77);
  });

  test('an app password stops working when it expires, before any new sync', async () => {
    assert.equal(await auth('alice@example.com', keys.tablet!), 0);
    clockAhead = 3600_000;
    try {
      assert.equal(await auth('alice@example.com', keys.tablet!), 77);
      assert.equal(await auth('alice@example.com', keys.phone!), 0, 'a token without expiry still works');
    } finally {
      clockAhead = 0;
    }
  });

  test('a deleted app password stops working after the next sync, a new one starts; no key is read twice', async () => {
    const viewsBefore = [...ak.tokens.secretViews];
    assert.deepEqual([...viewsBefore].sort(), ['alice-laptop', 'alice-phone', 'alice-tablet', 'bob-phone'], 'disabled dave: no key read');
    ak.tokens.remove('alice-phone');
    keys.fresh = ak.tokens.add(ak.users.find((u) => u.username === 'alice')!.pk, 'alice-fresh').key;
    assert.equal(await auth('alice@example.com', keys.fresh!), 77, 'not before the sync');
    assert.equal((await service.sync.syncNow()).status, 'applied');
    assert.equal(await auth('alice@example.com', keys.phone!), 77, 'deleted');
    assert.equal(await auth('alice@example.com', keys.fresh!), 0, 'new');
    assert.deepEqual(ak.tokens.secretViews.slice(viewsBefore.length), ['alice-fresh'], 'only the new key was read');
    await service.sync.syncNow();
    assert.deepEqual(ak.tokens.secretViews.slice(viewsBefore.length), ['alice-fresh'], 'a later sync reads none');
  });

  test('no key appears in the clear in any Redis value, log line or Dovecot log', async () => {
    const dump = await redisDump(redis.client());
    assert.match(dump, /alice-laptop/, 'the dump does hold the app passwords');
    const mine = JSON.stringify(logs());
    for (const [name, key] of Object.entries(keys)) {
      assert.ok(!dump.includes(key), `${name} key in Redis`);
      assert.ok(!mine.includes(key), `${name} key in mailroster's log`);
      assert.ok(!dv.log().includes(key), `${name} key in Dovecot's log`);
    }
    assert.doesNotMatch(mine, /\/[0-9a-f]{64}/, 'no password digest in a logged dict key');
  });
});
