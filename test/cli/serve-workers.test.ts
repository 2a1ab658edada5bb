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

/** The primary's 'worker started' lines so far: one per worker that came up. */
function startedWorkers(p: ServeProcess): { worker: number; pid: number }[] {
  return p.logs().filter((l) => l.role === 'primary' && l.msg === 'worker started') as unknown as { worker: number; pid: number }[];
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('serve with workers: 2 on the Redis store', { skip: missingBinaries('redis-server') }, () => {
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
      workers: 2, ...fastStoreConfig(redis.url), socketmap: { listen: [sock] }, http: { listen: `127.0.0.1:${httpPort}` },
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
      return startedWorkers(p).length === 2;
    }, 20_000, 'both workers to start');
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
    for (let i = 0; i < 4; i++) answeredBy.add((JSON.parse(await httpGet(httpPort, '/status')) as { worker: { pid: number } }).worker.pid);
    assert.deepEqual([...answeredBy].sort(), startedWorkers(p).map((w) => w.pid).sort(), 'each worker answered HTTP too');
    // A scrape reaches one worker; what it reports must be the sum over both (each counted about half).
    const metrics = await httpGet(httpPort, '/metrics');
    assert.match(metrics, new RegExp(`^mailroster_lookups_total\\{proto="socketmap",map="mailbox",result="found"\\} ${found}$`, 'm'));
    assert.equal(metrics.match(/^# TYPE mailroster_lookups_total /gm)?.length, 1, 'one family, not one per worker');
    assert.match(metrics, /^mailroster_ready 1$/m);
    for (const c of clients) c.close();
  });

  test('a killed worker: its connections close, the others answer on, and a replacement starts', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => socketmapClient({ kind: 'unix', path: sock })));
    for (const c of clients) assert.equal(await query(c, 'alice@example.com'), 'OK example.com/alice/');
    // The sync leader: the SIGHUP test then needs the lock taken over by a worker that reloaded.
    let victim = 0;
    await waitFor(async () => {
      const s = JSON.parse(await httpGet(httpPort, '/status')) as { worker: { pid: number }; store: { leader: boolean } };
      return s.store.leader && (victim = s.worker.pid);
    }, 5000, 'the leader worker to answer /status');
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !isRunning(victim), 5000, 'the worker to die');
    const replies = await Promise.all(clients.map((c) => query(c, 'alice@example.com')));
    const closed = replies.filter((r) => r === '<closed>').length;
    assert.ok(closed > 0 && closed < clients.length, `some connections were the killed worker's, some the other's: ${replies.join(', ')}`);
    assert.equal(replies.filter((r) => r === 'OK example.com/alice/').length, clients.length - closed);
    const fresh = await socketmapClient({ kind: 'unix', path: sock });
    assert.equal(await query(fresh, 'alice@example.com'), 'OK example.com/alice/', 'a new connection is served meanwhile');
    await waitFor(() => startedWorkers(p).length === 3, 15_000, 'a replacement worker');
    assert.ok(p.logs().some((l) => l.msg === 'worker exited; the others serve until its replacement starts' && l.signal === 'SIGKILL'));
    for (const c of [...clients, fresh]) c.close();
  });

  test('SIGHUP to the primary reloads every worker; a changed directory path is served by both', async () => {
    const other = join(tmp.path, 'other.yaml');
    writeFileSync(other, 'mailboxes:\n  - address: alice@example.com\n  - address: bob@example.com\n');
    writeConfig(other);
    p.child.kill('SIGHUP');
    await waitFor(() => p.logs().filter((l) => l.msg === 'configuration reloaded').length === 2, 10_000, 'both workers to reload');
    // The leader (whichever worker holds the lock, after a takeover if the killed one held it) syncs the new file.
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
    const pids = startedWorkers(p).map((w) => w.pid).filter(isRunning);
    assert.equal(pids.length, 2);
    p.child.kill('SIGTERM');
    assert.equal((await p.exited()).code, 0);
    assert.equal(existsSync(sock), false);
    for (const pid of pids) assert.equal(isRunning(pid), false, `worker ${pid} is gone`);
    assert.equal(p.logs().filter((l) => l.msg === 'stopped' && l.worker !== undefined).length, 2, 'each worker stopped itself');
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
