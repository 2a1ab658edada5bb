import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { parseRedisUrl } from '../../src/store/redis-url.js';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { makeTlsFiles, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { tempDir } from '../helpers/temp.js';
import { directoryFile, directoryYaml, startNode } from './redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

describe('store.url parsing', () => {
  test('standalone, TLS, Sentinel and Cluster URLs', () => {
    assert.deepEqual(parseRedisUrl('redis://app:p%40ss@10.0.0.1:6380/2'), {
      mode: 'standalone', tls: false, hosts: [{ host: '10.0.0.1', port: 6380 }], db: 2, username: 'app', password: 'p@ss',
    });
    assert.deepEqual(parseRedisUrl('rediss://:secret@[::1]'), { mode: 'standalone', tls: true, hosts: [{ host: '::1', port: 6379 }], db: 0, password: 'secret' });
    assert.deepEqual(parseRedisUrl('redis+sentinel://s1:26379,s2:26379/mymaster/1'), {
      mode: 'sentinel', tls: false, hosts: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], db: 1, masterName: 'mymaster',
    });
    assert.equal(parseRedisUrl('rediss+cluster://a:7000,b:7001').mode, 'cluster');
  });

  test('refuses malformed URLs without repeating them (they may hold a password)', () => {
    for (const url of ['http://u:hunter2@x', 'redis+sentinel://u:hunter2@s1:26379', 'redis://u:hunter2@h/notanumber', 'redis+cluster://u:hunter2@a:1/3']) {
      assert.throws(() => parseRedisUrl(url), (err: Error) => err instanceof ConfigError && !err.message.includes('hunter2'));
    }
  });

  test('print-config never shows the store URL (it may carry the password)', () => {
    const { redacted } = loadConfig({ env: {}, overrides: { store: { url: 'redis://app:topsecret@127.0.0.1:6390' } } });
    assert.doesNotMatch(redacted(), /topsecret/);
  });
});

describe('Redis with an ACL user and a password file', { skip }, () => {
  let redis: RedisServer;
  const secrets = tempDir();
  let file: ReturnType<typeof directoryFile>;

  before(async () => {
    // The user may only touch mailroster's keys and channel: proof that nothing else is used.
    redis = await startRedis(['--requirepass', 'adminpw', '--user', 'mailroster', 'on', '>s3cret-pw', '~{mailroster}:*', '&{mailroster}:*', '+@all']);
    file = directoryFile(directoryYaml(2));
    writeFileSync(join(secrets.path, 'good'), 's3cret-pw\n');
    writeFileSync(join(secrets.path, 'bad'), 'wrong-pw\n');
  });
  after(async () => {
    await redis?.stop();
    file?.remove();
    secrets.remove();
  });

  test('syncs and serves with the user from the URL and the password from the file', async () => {
    const node = await startNode(`redis://mailroster@127.0.0.1:${redis.port}`, file.path, { extra: { store: { passwordFile: join(secrets.path, 'good') } } });
    try {
      await waitFor(async () => (await node.query('mailbox', 'user1@example.com')) === 'OK example.com/user1/', 10_000, 'the directory');
      assert.ok(node.service.store.status().leader);
    } finally {
      await node.stop();
    }
  });

  test('a wrong password answers TEMP, never NOTFOUND, and no secret reaches the logs', async () => {
    const node = await startNode(`redis://mailroster:url-pw@127.0.0.1:${redis.port}`, file.path, { extra: { store: { passwordFile: join(secrets.path, 'bad') } } });
    try {
      assert.match(await node.query('mailbox', 'user1@example.com'), /^TEMP /);
      assert.match(await node.query('mailbox', 'nobody@example.com'), /^TEMP /);
      const logs = JSON.stringify(node.logs());
      for (const secret of ['wrong-pw', 'url-pw', 's3cret-pw']) assert.ok(!logs.includes(secret), `${secret} is not logged`);
    } finally {
      await node.stop();
    }
  });
});

describe('Redis over TLS (rediss://) with a private CA', { skip: skip || missingBinaries('openssl') }, () => {
  const certs = tempDir();
  let redis: RedisServer;
  let file: ReturnType<typeof directoryFile>;

  before(async () => {
    const tls = await makeTlsFiles(certs.path);
    redis = await startRedis([], { tls });
    file = directoryFile(directoryYaml(2));
  });
  after(async () => {
    await redis?.stop();
    file?.remove();
    certs.remove();
  });

  test('syncs and serves when the CA is given, and answers TEMP when the certificate cannot be verified', async () => {
    const trusting = await startNode(redis.url, file.path, { extra: { store: { tlsCaFile: join(certs.path, 'ca.pem') } } });
    try {
      await waitFor(async () => (await trusting.query('mailbox', 'user0@example.com')) === 'OK example.com/user0/', 10_000, 'the directory over TLS');
    } finally {
      await trusting.stop();
    }
    const unverified = await startNode(redis.url, file.path);
    try {
      assert.match(await unverified.query('mailbox', 'user0@example.com'), /^TEMP /);
    } finally {
      await unverified.stop();
    }
  });
});
