import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { missingBinaries } from '../helpers/binaries.js';
import { waitFor } from '../helpers/net.js';
import { directoryYaml, startRedisPair, type RedisPair } from '../store/redis-fixtures.js';
import { cliEnv, runCli } from './cli-process.js';

const skip = missingBinaries('redis-server', 'redis-cli');

describe('deletion guard', { skip }, () => {
  let nodes: RedisPair;
  before(async () => void (nodes = await startRedisPair(directoryYaml(10))));
  after(() => nodes?.stop());

  test('refuses a sync that drops most mailboxes, logs and counts it; the old directory keeps serving', async () => {
    nodes.file.write(directoryYaml(2));
    await waitFor(() => nodes.leader.service.sync.stats.refused >= 1, 10_000, 'the refused sync');
    const line = nodes.leader.logs().find((l) => l.code === 'SYNC_DELETION_GUARD');
    assert.match(String(line?.msg), /sync refused: would remove 8 of 10 mailboxes \(80\.0% > sync\.maxDeletePercent 10%\)/);
    for (const node of [nodes.leader, nodes.follower]) assert.equal(await node.query('mailbox', 'user9@example.com'), 'OK example.com/user9/');
  });

  test('sync --once --dry-run prints the difference and writes nothing', async () => {
    const env = cliEnv(nodes.redis.url, nodes.file.path);
    const refused = await runCli(['sync', '--once', '--dry-run'], env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /refused: would remove 8 of 10/);
    const dry = await runCli(['sync', '--once', '--dry-run', '--force'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^mailboxes: \+0 -8 ~0\n  - user2@example\.com\n/);
    assert.match(dry.stdout, /aliases: \+0 -8 ~0\n  - alias2@example\.com -> user2@example\.com\n/);
    assert.match(dry.stdout, /dry run: nothing written; the directory has 2 mailboxes\n$/);
    assert.equal(await nodes.redis.client().hlen('{mailroster}:mailboxes'), 10);
  });

  test('sync --once --force applies it, and every server follows', async () => {
    const forced = await runCli(['sync', '--once', '--force'], cliEnv(nodes.redis.url, nodes.file.path));
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /applied; the directory has 2 mailboxes\n$/);
    for (const node of [nodes.leader, nodes.follower]) {
      await waitFor(async () => (await node.query('mailbox', 'user9@example.com')) === 'NOTFOUND ', 10_000, 'the removal everywhere');
      assert.equal(await node.query('mailbox', 'user1@example.com'), 'OK example.com/user1/');
    }
    const again = await runCli(['sync', '--once'], cliEnv(nodes.redis.url, nodes.file.path));
    assert.equal(again.stdout, 'no changes\napplied; the directory has 2 mailboxes\n');
  });

  test('an empty provider answer never empties the directory, even forced', async () => {
    nodes.file.write('mailboxes: []\n');
    const forced = await runCli(['sync', '--once', '--force'], cliEnv(nodes.redis.url, nodes.file.path));
    assert.equal(forced.code, 2);
    assert.match(forced.stderr, /refused: the provider answered no mailboxes; keeping the 2 held/);
    await waitFor(() => nodes.leader.logs().some((l) => l.code === 'SYNC_EMPTY_ANSWER'), 10_000, 'the leader to refuse it too');
    assert.equal(await nodes.follower.query('mailbox', 'user1@example.com'), 'OK example.com/user1/');
  });
});
