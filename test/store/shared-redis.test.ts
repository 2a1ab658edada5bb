import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { testConfig } from '../helpers/service.js';
import { directoryFile, directoryYaml, fastStoreConfig, startNode, startRedisPair, type RedisPair } from './redis-fixtures.js';

const skip = missingBinaries('redis-server', 'redis-cli');

describe('two servers sharing one Redis', { skip }, () => {
  let nodes: RedisPair;
  before(async () => void (nodes = await startRedisPair(directoryYaml(3))));
  after(() => nodes?.stop());

  test('the first server leads and syncs; the second follows from Redis without calling the provider', async () => {
    assert.equal(nodes.leader.service.store.status().leader, true);
    assert.equal(nodes.follower.service.store.status().leader, false);
    assert.equal(await nodes.leader.query('mailbox', 'user1@example.com'), 'OK example.com/user1/');
    assert.equal(await nodes.follower.query('mailbox', 'user1@example.com'), 'OK example.com/user1/');
    assert.equal(await nodes.follower.query('alias', 'alias2@example.com'), 'OK user2@example.com');
    assert.equal(await nodes.follower.query('mailbox', 'nobody@example.com'), 'NOTFOUND ');
    assert.ok(nodes.leader.provider.fetches >= 1);
    assert.equal(nodes.follower.provider.fetches, 0);
  });

  test('an edit of the directory file is answered by both servers within the bound', async () => {
    nodes.file.write(directoryYaml(3, '  - address: carol@example.com\n    aliases: [c@example.com]\n'));
    for (const node of [nodes.leader, nodes.follower]) {
      await waitFor(async () => (await node.query('alias', 'c@example.com')) === 'OK carol@example.com', 10_000, 'carol on both servers');
    }
    assert.equal(nodes.follower.provider.fetches, 0);
  });

  test('the follower replays single writes from the change log rather than reloading everything', async () => {
    const before = nodes.follower.logs().length;
    nodes.file.write(directoryYaml(3, '  - address: dave@example.com\n'));
    await waitFor(async () => (await nodes.follower.query('mailbox', 'dave@example.com')) === 'OK example.com/dave/', 10_000, 'dave on the follower');
    const updates = nodes.follower.logs().slice(before).filter((l) => l.msg === 'replica updated from redis');
    assert.ok(updates.length >= 1);
    assert.ok(updates.every((l) => l.via === 'log'), 'replayed from the log stream');
    assert.equal(nodes.follower.service.store.status().generation, nodes.leader.service.store.status().generation);
  });

  test('a change reaches a follower through pub/sub alone, and through the generation poll alone', async () => {
    const c = nodes.redis.client();
    // This user may not subscribe to any channel: only the poll can tell it about changes.
    await c.call('ACL', 'SETUSER', 'deaf', 'on', '>deaf-pw', '~{mailroster}:*', 'resetchannels', '+@all');
    const pubsubOnly = await startNode(nodes.redis.url, nodes.file.path, { extra: { store: { pollIntervalMs: 3_600_000 } } });
    const pollOnly = await startNode(`redis://deaf:deaf-pw@127.0.0.1:${nodes.redis.port}`, nodes.file.path);
    try {
      nodes.file.write(directoryYaml(3, '  - address: dave@example.com\n  - address: olga@example.com\n'));
      for (const node of [pubsubOnly, pollOnly]) {
        await waitFor(async () => (await node.query('mailbox', 'olga@example.com')) === 'OK example.com/olga/', 10_000, 'olga on both');
      }
      assert.ok(pollOnly.logs().some((l) => l.msg === 'redis subscribe failed'), 'the poll-only server really had no pub/sub');
      nodes.file.write(directoryYaml(3, '  - address: dave@example.com\n'));
      await waitFor(async () => (await pubsubOnly.query('mailbox', 'olga@example.com')) === 'NOTFOUND ', 10_000, 'olga gone');
    } finally {
      await pubsubOnly.stop();
      await pollOnly.stop();
    }
  });

  test('lookups, hits and misses alike, send nothing to Redis', async () => {
    const c = nodes.redis.client();
    const calls = async (): Promise<number> => [...(await c.info('commandstats')).matchAll(/^cmdstat_\w+:calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const before = await calls();
    const LOOKUPS = 2000;
    for (let i = 0; i < LOOKUPS / 2; i++) {
      await nodes.follower.query('mailbox', `user${i % 3}@example.com`);
      await nodes.follower.query('alias', `nobody${i}@example.com`);
    }
    // Only the background polls (a few per second per server) and the INFO calls themselves.
    assert.ok((await calls()) - before < LOOKUPS / 4, 'no Redis command per lookup');
  });

  test('keys live under one hash tag, and the directory is readable in Redis', async () => {
    const c = nodes.redis.client();
    const keys = (await c.keys('*')).sort();
    // No lists in this directory, so no lists hash (Redis drops empty hashes).
    assert.deepEqual(keys, ['{mailroster}:leader', '{mailroster}:log', '{mailroster}:mailboxes', '{mailroster}:meta']);
    assert.equal(await c.hget('{mailroster}:meta', 'mailboxes'), '4'); // user0-2 and dave
    const entry = JSON.parse((await c.hget('{mailroster}:mailboxes', 'user0@example.com'))!);
    assert.deepEqual(entry, { address: 'user0@example.com', aliases: ['alias0@example.com'] });
  });

  test('a server started against a Redis that holds a directory serves at once, without calling the provider', async () => {
    const failing = { name: 'down', strict: true, fetchDirectory: () => Promise.reject(new Error('provider down')) };
    const warm = await startNode(nodes.redis.url, nodes.file.path, { provider: failing });
    try {
      assert.equal(await warm.query('mailbox', 'user2@example.com'), 'OK example.com/user2/');
      assert.equal(await warm.query('mailbox', 'nobody@example.com'), 'NOTFOUND ');
      assert.equal(warm.provider.fetches, 0);
    } finally {
      await warm.stop();
    }
  });

  test('a whole restart is warm too: the new leader serves at once and waits for the interval before calling the provider', async () => {
    await nodes.follower.stop();
    await nodes.leader.stop(); // releases the lock
    const failing = { name: 'down', strict: true, fetchDirectory: () => Promise.reject(new Error('provider down')) };
    const only = await startNode(nodes.redis.url, nodes.file.path, { provider: failing });
    try {
      assert.equal(only.service.store.status().leader, true);
      assert.equal(await only.query('mailbox', 'dave@example.com'), 'OK example.com/dave/');
      assert.equal(only.provider.fetches, 0);
    } finally {
      await only.stop();
    }
  });
});

describe('a follower whose provider was reloaded while another server led', { skip }, () => {
  test('syncs the new provider as soon as it takes the lock over, not after the sync interval', async () => {
    const pair = await startRedisPair(directoryYaml(2));
    const other = directoryFile(directoryYaml(2, '  - address: erin@example.com\n'));
    try {
      // Every server gets the new config (the operator's SIGHUP); only the leader may sync it,
      // and here the leader's own reload never comes: it stops first.
      const next = testConfig({ provider: { type: 'file', file: { path: other.path } }, ...fastStoreConfig(pair.redis.url) });
      await pair.follower.service.reload(next);
      assert.equal(await pair.follower.query('mailbox', 'erin@example.com'), 'NOTFOUND ', 'a follower does not sync');
      await pair.leader.stop();
      // Redis was synced moments ago (a warm start would wait intervalSeconds: 300 s), but not
      // from the provider this server now has.
      await waitFor(async () => (await pair.follower.query('mailbox', 'erin@example.com')) === 'OK example.com/erin/', 10_000, 'erin from the new file');
    } finally {
      await pair.stop();
      other.remove();
    }
  });
});
