import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { existsSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { missingBinaries } from '../helpers/binaries.js';
import { freePort, waitFor } from '../helpers/net.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { killServeProcesses, serveProcess, type ServeProcess } from '../helpers/serve-process.js';
import { socketmapClient, type SocketmapClient } from '../helpers/socketmap-client.js';
import { tempDir } from '../helpers/temp.js';
import { fastStoreConfig } from '../store/redis-fixtures.js';

after(killServeProcesses);

/** GET over a fresh connection each time (no keep-alive), so the primary hands each to a worker in turn. */
function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d)).on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The primary's 'worker started' lines so far: one per worker that came up (of `role`, if given). */
function startedWorkers(p: ServeProcess, role?: 'serve' | 'sync'): { worker: number; pid: number }[] {
  const started = p.logs().filter((l) => l.role === 'primary' && l.msg === 'worker started' && (role === undefined || l.workerRole === role));
  return started as unknown as { worker: number; pid: number }[];
}

/** The pids of the workers of `role` that are running now. */
function running(p: ServeProcess, role: 'serve' | 'sync'): number[] {
  return startedWorkers(p, role).map((w) => w.pid).filter(isRunning);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('serve with workers: 2 (and a sync worker) on the Redis store', { skip: missingBinaries('redis-server') }, () => {
  let redis: RedisServer;
  const tmp = tempDir();
  const sock = join(tmp.path, 'socketmap.sock');
  const dirFile = join(tmp.path, 'directory.yaml');
  const configFile = join(tmp.path, 'config.json');
  let httpPort = 0;
  let p: ServeProcess;
  let found = 0;
  const writeConfig = (directory: string, more: Record<string, unknown> = {}): void =>
    writeFileSync(configFile, JSON.stringify({
      // A lock far longer than any wait here: a replacement sync worker leads only by taking it over.
      workers: 2, ...fastStoreConfig(redis.url, { sync: { lockTtlSeconds: 120 } }), socketmap: { listen: [sock] }, http: { listen: `127.0.0.1:${httpPort}` },
      provider: { type: 'file', file: { path: directory } }, ...more,
    }));
  const query = async (c: SocketmapClient, key: string): Promise<string> => {
    const r = await c.query('mailbox', key);
    if (r.startsWith('OK ')) found++;
    return r;
  };

  before(async () => {
    redis = await startRedis();
    httpPort = await freePort();
    writeFileSync(dirFile, 'mailboxes:\n  - address: alice@example.com\n');
    writeConfig(dirFile);
    p = serveProcess(configFile);
    await waitFor(() => {
      if (p.child.exitCode !== null) throw new Error(`serve exited with ${p.child.exitCode}:\n${p.output()}`);
      return startedWorkers(p).length === 3;
    }, 20_000, 'both serving workers and the sync worker to start');
  });
  after(async () => {
    p.child.kill('SIGKILL');
    await redis?.stop();
    tmp.remove();
  });

  test('both workers take connections on the one socket file; /metrics counts every lookup of both', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => socketmapClient({ kind: 'unix', path: sock })));
    await waitFor(async () => (await query(clients[0]!, 'alice@example.com')) === 'OK example.com/alice/', 15_000, 'alice to be served');
    for (const c of clients) for (let i = 0; i < 5; i++) assert.equal(await query(c, 'alice@example.com'), 'OK example.com/alice/');
    const answeredBy = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const status = JSON.parse(await httpGet(httpPort, '/status')) as { worker: { pid: number; role: string }; store: { leader: boolean } };
      assert.deepEqual([status.worker.role, status.store.leader], ['serve', false], 'a serving worker never holds the sync lock');
      answeredBy.add(status.worker.pid);
    }
    assert.deepEqual([...answeredBy].sort(), running(p, 'serve').sort(), 'each serving worker answered HTTP too');
    // Only the sync worker leads: a full sync's build and its collections never pause a lookup.
    const leaders = p.logs().filter((l) => l.msg === 'became sync leader').map((l) => l.worker);
    assert.deepEqual(leaders, startedWorkers(p, 'sync').map((w) => w.worker));
    // A scrape reaches one worker; what it reports must be the sum over all (each counted about half).
    const metrics = await httpGet(httpPort, '/metrics');
    assert.match(metrics, new RegExp(`^mailroster_lookups_total\\{proto="socketmap",map="mailbox",result="found"\\} ${found}$`, 'm'));
    assert.equal(metrics.match(/^# TYPE mailroster_lookups_total /gm)?.length, 1, 'one family, not one per worker');
    assert.match(metrics, /^mailroster_ready 1$/m);
    assert.match(metrics, /^mailroster_syncs_total\{outcome="applied"\} 1$/m, 'the sync worker\'s sync is counted too');
    for (const c of clients) c.close();
  });

  test('a killed serving worker: its connections close, the others answer on, and a replacement starts', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => socketmapClient({ kind: 'unix', path: sock })));
    for (const c of clients) assert.equal(await query(c, 'alice@example.com'), 'OK example.com/alice/');
    const victim = running(p, 'serve')[0]!;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !isRunning(victim), 5000, 'the worker to die');
    const replies = await Promise.all(clients.map((c) => query(c, 'alice@example.com')));
    const closed = replies.filter((r) => r === '<closed>').length;
    assert.ok(closed > 0 && closed < clients.length, `some connections were the killed worker's, some the other's: ${replies.join(', ')}`);
    assert.equal(replies.filter((r) => r === 'OK example.com/alice/').length, clients.length - closed);
    const fresh = await socketmapClient({ kind: 'unix', path: sock });
    assert.equal(await query(fresh, 'alice@example.com'), 'OK example.com/alice/', 'a new connection is served meanwhile');
    await waitFor(() => running(p, 'serve').length === 2, 15_000, 'a replacement serving worker');
    assert.ok(p.logs().some((l) => l.msg === 'worker exited; the others serve until its replacement starts' && l.signal === 'SIGKILL' && l.workerRole === 'serve'));
    for (const c of [...clients, fresh]) c.close();
  });

  test('a killed sync worker: no connection closes, and its replacement takes the lock', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => socketmapClient({ kind: 'unix', path: sock })));
    const [victim] = running(p, 'sync');
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => !isRunning(victim!), 5000, 'the sync worker to die');
    for (const c of clients) assert.equal(await query(c, 'alice@example.com'), 'OK example.com/alice/', 'it held no connection');
    await waitFor(() => running(p, 'sync').length === 1, 15_000, 'a replacement sync worker');
    const heir = startedWorkers(p, 'sync').at(-1)!.worker;
    await waitFor(() => p.logs().some((l) => l.msg === 'became sync leader' && l.worker === heir), 10_000, 'the replacement to lead');
    for (const c of clients) c.close();
  });

  test('SIGHUP to the primary reloads every worker; a changed directory path is served by both', async () => {
    const other = join(tmp.path, 'other.yaml');
    writeFileSync(other, 'mailboxes:\n  - address: alice@example.com\n  - address: bob@example.com\n');
    writeConfig(other);
    p.child.kill('SIGHUP');
    await waitFor(() => p.logs().filter((l) => l.msg === 'configuration reloaded').length === 3, 10_000, 'every worker to reload');
    // The replacement sync worker, which took the lock over, syncs the new file.
    await waitFor(async () => {
      const c = await socketmapClient({ kind: 'unix', path: sock });
      try {
        return (await query(c, 'bob@example.com')) === 'OK example.com/bob/';
      } finally {
        c.close();
      }
    }, 20_000, 'bob to be served');
    for (let i = 0; i < 4; i++) {
      const c = await socketmapClient({ kind: 'unix', path: sock });
      await waitFor(async () => (await query(c, 'bob@example.com')) === 'OK example.com/bob/', 5000, `bob on connection ${i}`);
      c.close();
    }
  });

  test('SIGTERM to the primary stops every worker gracefully: exit 0, the socket file removed', async () => {
    const pids = [...running(p, 'serve'), ...running(p, 'sync')];
    assert.equal(pids.length, 3);
    p.child.kill('SIGTERM');
    assert.equal((await p.exited()).code, 0);
    assert.equal(existsSync(sock), false);
    for (const pid of pids) assert.equal(isRunning(pid), false, `worker ${pid} is gone`);
    assert.equal(p.logs().filter((l) => l.msg === 'stopped' && l.worker !== undefined).length, 3, 'each worker stopped itself');
  });

  test('a worker that cannot start stops the rest: the exit code and reason are the worker\'s', async () => {
    writeConfig(dirFile, { dict: { listen: [join(tmp.path, 'nope', 'dict.sock')] } });
    const failing = serveProcess(configFile);
    const { code } = await failing.exited();
    assert.equal(code, 73);
    assert.match(failing.output(), /mailroster: dict\.listen: cannot listen on .*\/nope\/dict\.sock: the folder does not exist \(ENOENT\)/);
    assert.ok(failing.logs().some((l) => l.msg === 'a worker failed to start; stopping'));
    assert.equal(existsSync(sock), false, 'the socketmap socket bound before it is removed again');
  });
});

test('workers: 2 with the memory store is refused at start, naming both keys', async () => {
  const tmp = tempDir();
  const configFile = join(tmp.path, 'config.json');
  writeFileSync(configFile, JSON.stringify({ workers: 2, socketmap: { listen: [join(tmp.path, 's.sock')] } }));
  const p = serveProcess(configFile);
  assert.equal((await p.exited()).code, 78);
  assert.match(p.output(), /workers: more than one worker needs the Redis store \(store\.url\)/);
  tmp.remove();
});
