import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoint } from '../../src/config/formats.js';
import { missingBinaries } from '../helpers/binaries.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import type { Fault } from '../helpers/fake-idp.js';
import { pollLookups } from '../helpers/lookup-poller.js';
import { freePort, waitFor } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { killServeProcesses, serveProcess, type ServeProcess } from '../helpers/serve-process.js';
import { socketmapClient } from '../helpers/socketmap-client.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Faults with real processes: a `mailroster serve` child, a real redis-server, a fake Authentik on
 * loopback. Throughout, a client asks for users that exist, as Postfix would: not one of them may
 * be answered anything but its mailbox (no NOTFOUND, and with a replica no TEMP either), the
 * process must not crash or log an unhandled rejection, and it must recover when the fault ends.
 */
const skip = missingBinaries('redis-server', 'redis-cli');

const EXISTING: [string, string, string][] = [
  ['mailbox', 'user0@example.com', 'OK example.com/user0/'],
  ['alias', 'alias1@example.com', 'OK user1@example.com'],
];

function directoryYaml(extra = ''): string {
  return `mailboxes:\n  - address: user0@example.com\n  - address: user1@example.com\n    aliases: [alias1@example.com]\n${extra}`;
}

/** Asserts what every fault must leave behind: the process alive and no rejection logged. */
function assertHealthy(p: ServeProcess): void {
  assert.equal(p.child.exitCode, null, 'still running');
  assert.ok(!p.logs().some((l) => String(l.msg).startsWith('unhandled promise rejection')), 'no unhandled rejection');
  assert.doesNotMatch(p.output(), /Uncaught|UnhandledPromiseRejection/);
}

async function runFault(ep: Endpoint, p: ServeProcess, during: () => Promise<void>, recovered: () => Promise<boolean>): Promise<void> {
  const poller = pollLookups(ep, EXISTING);
  await during();
  await waitFor(recovered, 20_000, 'recovery');
  const { count, wrong } = await poller.stop();
  assert.ok(count > 10, `lookups kept being answered (${count})`);
  assert.deepEqual(wrong, []);
  assertHealthy(p);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

after(killServeProcesses);

describe('fault suite: Redis and the directory file', { skip }, () => {
  const tmp = tempDir();
  const dirFile = join(tmp.path, 'directory.yaml');
  const sock = join(tmp.path, 'socketmap.sock');
  const ep: Endpoint = { kind: 'unix', path: sock };
  let redis: RedisServer;
  let p: ServeProcess;
  let statusUrl = '';
  /** The store part of /status, as an operator sees it. */
  const storeStatus = async (): Promise<{ connected?: boolean; detail?: string }> => ((await (await fetch(statusUrl)).json()) as { store: { connected?: boolean; detail?: string } }).store;
  const reconnected = async (): Promise<boolean> => {
    const st = await storeStatus();
    return st.connected === true && st.detail === undefined;
  };

  before(async () => {
    redis = await startRedis();
    writeFileSync(dirFile, directoryYaml());
    const configFile = join(tmp.path, 'config.json');
    const httpPort = await freePort();
    statusUrl = `http://127.0.0.1:${httpPort}/status`;
    writeFileSync(configFile, JSON.stringify({
      socketmap: { listen: [sock] },
      http: { listen: `127.0.0.1:${httpPort}` },
      provider: { type: 'file', file: { path: dirFile } },
      store: { url: redis.url, pollIntervalMs: 200, connectTimeoutMs: 500, commandTimeoutMs: 500 },
      sync: { lockTtlSeconds: 2, retryInitialSeconds: 0.2, retryMaxSeconds: 1 },
    }));
    p = serveProcess(configFile);
    await waitFor(() => existsSync(sock), 15_000, 'the socket');
    const c = await socketmapClient(ep);
    await waitFor(async () => (await c.query('mailbox', 'user0@example.com')) === 'OK example.com/user0/', 15_000, 'the first sync');
    c.close();
  });
  after(async () => {
    p?.child.kill('SIGTERM');
    if (p) assert.equal((await p.exited()).code, 0, 'a clean stop after every fault');
    await redis?.stop();
    tmp.remove();
  });

  test('Redis killed and restarted empty', async () => {
    await runFault(ep, p, async () => {
      await redis.kill();
      await waitFor(async () => (await storeStatus()).connected === false, 10_000, '/status to show the outage');
      await sleep(1000);
      await redis.restart();
    }, async () => (await reconnected()) && p.logs().some((l) => l.msg === 'restored the directory into redis from the replica'));
  });

  test('Redis paused with SIGSTOP (commands hang), then resumed', async () => {
    await runFault(ep, p, async () => {
      redis.pause();
      await sleep(2000);
      redis.resume();
    }, reconnected);
  });

  test('Redis port closed for a while (connection refused), then back', async () => {
    await runFault(ep, p, async () => {
      await redis.kill();
      await sleep(2500);
      await redis.restart();
    }, reconnected);
  });

  test('directory file replaced by a broken one: the last good directory keeps serving; a fixed file is loaded', async () => {
    await runFault(ep, p, async () => {
      writeFileSync(dirFile, `${directoryYaml()}  - address: not an address\n`);
      await waitFor(() => p.logs().some((l) => l.msg === 'sync failed; the last good directory keeps serving'), 10_000, 'the refusal to be logged');
      await sleep(500);
      writeFileSync(dirFile, directoryYaml('  - address: newcomer@example.com\n'));
    }, async () => {
      const c = await socketmapClient(ep);
      const r = await c.query('mailbox', 'newcomer@example.com');
      c.close();
      return r === 'OK example.com/newcomer/';
    });
  });
});

describe('fault suite: the identity provider', () => {
  const tmp = tempDir();
  const sock = join(tmp.path, 'socketmap.sock');
  const ep: Endpoint = { kind: 'unix', path: sock };
  const ak = new FakeAuthentik();
  let p: ServeProcess;
  const count = (msg: string): number => p.logs().filter((l) => l.msg === msg).length;
  const FAILED = 'sync failed; the last good directory keeps serving';

  before(async () => {
    await ak.start();
    ak.addUser({ username: 'user0', email: 'user0@example.com' });
    ak.addUser({ username: 'user1', email: 'user1@example.com', attributes: { mailAlias: ['alias1@example.com'] } });
    const tokenFile = join(tmp.path, 'token');
    writeFileSync(tokenFile, `${ak.token}\n`, { mode: 0o600 });
    const configFile = join(tmp.path, 'config.json');
    writeFileSync(configFile, JSON.stringify({
      socketmap: { listen: [sock] },
      provider: { type: 'authentik', authentik: { url: ak.url, tokenFile }, pageSize: 1, http: { timeoutMs: 400, retries: 0 } },
      sync: { intervalSeconds: 1, jitter: 0, retryInitialSeconds: 0.2, retryMaxSeconds: 1 },
    }));
    p = serveProcess(configFile);
    await waitFor(() => existsSync(sock), 15_000, 'the socket');
    const c = await socketmapClient(ep);
    await waitFor(async () => (await c.query('alias', 'alias1@example.com')) === 'OK user1@example.com', 15_000, 'the first sync');
    c.close();
  });
  after(async () => {
    p?.child.kill('SIGTERM');
    if (p) assert.equal((await p.exited()).code, 0);
    await ak.stop();
    tmp.remove();
  });

  const FAULTS: [string, Fault][] = [
    ['500', { status: 500 }],
    ['429 with Retry-After', { status: 429, headers: { 'retry-after': '1' } }],
    ['garbage instead of JSON', { garbage: true }],
    ['a truncated page (valid JSON, no results)', { status: 200, body: '{"pagination": {"next": 0, "count": 2}}' }],
    ['a hanging request', { hang: true }],
  ];
  for (const [name, fault] of FAULTS) {
    test(`provider answers ${name}: existing users keep their answers; the next good sync recovers`, async () => {
      const failedBefore = count(FAILED);
      let loadedAfterFault = Infinity;
      await runFault(ep, p, async () => {
        ak.fail(/\/core\/users\/$/, fault, 3);
        await waitFor(() => count(FAILED) > failedBefore, 10_000, 'a failed sync, logged');
        await waitFor(() => ak.requests.length > 0 && !ak.hasPendingFaults(), 15_000, 'the faults to be used up');
        loadedAfterFault = count('directory loaded');
      }, async () => count('directory loaded') > loadedAfterFault);
    });
  }

  test('after the faults a new user arrives with the next sync', async () => {
    ak.addUser({ username: 'newcomer', email: 'newcomer@example.com' });
    const c = await socketmapClient(ep);
    await waitFor(async () => (await c.query('mailbox', 'newcomer@example.com')) === 'OK example.com/newcomer/', 10_000, 'the newcomer');
    c.close();
    assertHealthy(p);
  });
});
