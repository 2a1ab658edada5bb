import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { encodeNetstring } from '../../protocol/netstring.js';
import type { Endpoint } from '../../src/config/formats.js';
import { createService } from '../../src/index.js';
import { gatedProvider } from '../helpers/gated-provider.js';
import { captureLogger, startFileService, testConfig } from '../helpers/service.js';
import { socketmapClient } from '../helpers/socketmap-client.js';
import { tempDir } from '../helpers/temp.js';

const YAML = `
mailboxes:
  - address: alice@example.com
    aliases: [a.smith@example.com]
  - address: bob@example.com
`;

describe('socketmap server over TCP and UNIX', () => {
  const sock = tempDir();
  const unixPath = join(sock.path, 'socketmap.sock');
  let svc: Awaited<ReturnType<typeof startFileService>>;
  let tcp: Endpoint;
  const unix: Endpoint = { kind: 'unix', path: unixPath };

  before(async () => {
    svc = await startFileService(YAML, { socketmap: { listen: ['127.0.0.1:0', unixPath], socketMode: '0600', maxRequestBytes: 1000, idleTimeoutMs: 1500 } });
    tcp = svc.service.socketmap.addresses[0]!;
  });
  after(async () => {
    await svc.stop();
    sock.remove();
  });

  for (const [name, ep] of [['TCP', () => tcp], ['UNIX', () => unix]] as const) {
    test(`answers lookups in request order over ${name}`, async () => {
      const c = await socketmapClient(ep());
      assert.equal(await c.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
      assert.equal(await c.query('alias', 'a.smith@example.com'), 'OK alice@example.com');
      assert.equal(await c.query('mailbox', 'nobody@example.com'), 'NOTFOUND ');
      c.close();
    });
  }

  test('UNIX socket gets the configured mode', () => {
    assert.equal(statSync(unixPath).mode & 0o777, 0o600);
  });

  test('answers pipelined frames sent in one write, in order', async () => {
    const c = await socketmapClient(tcp);
    c.writeRaw(Buffer.concat([encodeNetstring('mailbox bob@example.com'), encodeNetstring('domain example.com'), encodeNetstring('alias zzz@example.com')]));
    assert.deepEqual([await c.next(), await c.next(), await c.next()], ['OK example.com/bob/', 'OK example.com', 'NOTFOUND ']);
    c.close();
  });

  test('100 concurrent lockstep connections each get their own answers, in order', async () => {
    const clients = await Promise.all(Array.from({ length: 100 }, () => socketmapClient(tcp)));
    const wrong: string[] = [];
    await Promise.all(clients.map(async (c, i) => {
      for (let n = 0; n < 50; n++) {
        const [key, expected] = (i + n) % 2 === 0 ? ['alice@example.com', 'OK example.com/alice/'] : [`nobody${i}.${n}@example.com`, 'NOTFOUND '];
        const reply = await c.query('mailbox', key);
        if (reply !== expected) wrong.push(`${i}/${n}: ${reply}`);
      }
      c.close();
    }));
    assert.deepEqual(wrong, []);
  });

  test('reassembles a request split into single bytes', async () => {
    const c = await socketmapClient(tcp);
    for (const b of encodeNetstring('mailbox alice@example.com')) c.writeRaw(Buffer.from([b]));
    assert.equal(await c.next(), 'OK example.com/alice/');
    c.close();
  });

  test('closes the connection on garbage and logs it with the peer', async () => {
    const c = await socketmapClient(tcp);
    c.writeRaw('hello world\r\n');
    await c.closed();
    const line = svc.logs().find((l) => l.msg === 'malformed socketmap input; closing connection');
    assert.ok(line, 'a warning was logged');
    assert.match(String(line!.peer), /^127\.0\.0\.1:\d+$/);
    assert.equal(line!.code, 'NETSTRING_BAD_LENGTH');
  });

  test('refuses an oversize length prefix without waiting for the payload', async () => {
    const c = await socketmapClient(tcp);
    c.writeRaw('5000:');
    await c.closed();
    assert.ok(svc.logs().some((l) => l.code === 'NETSTRING_TOO_LONG'));
  });

  test('a broken connection does not disturb the others', async () => {
    const good = await socketmapClient(tcp);
    const bad = await socketmapClient(tcp);
    bad.writeRaw('x:');
    await bad.closed();
    assert.equal(await good.query('mailbox', 'bob@example.com'), 'OK example.com/bob/');
    good.close();
  });

  test('closes an idle connection after idleTimeoutMs', async () => {
    const c = await socketmapClient(tcp);
    assert.equal(await c.query('domain', 'example.com'), 'OK example.com');
    const quietSince = Date.now();
    await c.closed();
    // Checked every half timeout: closed between one and one and a half timeouts after the last reply.
    const after = Date.now() - quietSince;
    assert.ok(after >= 1400 && after < 4000, `closed ${after} ms after the last reply (idleTimeoutMs 1500)`);
  });

  test('keeps a connection that asks now and then for longer than idleTimeoutMs', async () => {
    const c = await socketmapClient(tcp);
    for (let i = 0; i < 8; i++) {
      assert.equal(await c.query('domain', 'example.com'), 'OK example.com');
      await new Promise((r) => setTimeout(r, 500));
    }
    c.close();
  });

  test('survives random bytes on many connections and keeps answering', async () => {
    // A fixed-seed generator, so a failure can be replayed.
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200; i++) {
      const c = await socketmapClient(tcp);
      const prefix = i % 2 === 0 ? `${Math.floor(rand() * 30)}:` : '';
      c.writeRaw(Buffer.concat([Buffer.from(prefix), Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)))]));
      c.close();
    }
    const c = await socketmapClient(tcp);
    assert.equal(await c.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
    c.close();
  });

  test('an unknown map answers PERM naming the known maps', async () => {
    const c = await socketmapClient(tcp);
    assert.equal(await c.query('transport', '*'), 'PERM unknown map "transport"; known maps: domain, mailbox, alias, senders');
    c.close();
  });
});

describe('socketmap server before the directory is loaded', () => {
  test('answers TEMP for every map, never NOTFOUND', async () => {
    const provider = gatedProvider({ mailboxes: [{ address: 'alice@example.com' }] });
    const service = createService(testConfig(), { logger: captureLogger().logger, provider });
    await service.start();
    const c = await socketmapClient(service.socketmap.addresses[0]!);
    for (const map of ['domain', 'mailbox', 'alias', 'senders']) {
      assert.equal(await c.query(map, 'nobody@example.com'), 'TEMP directory not loaded yet', map);
    }
    provider.open();
    await service.sync.syncNow();
    assert.equal(await c.query('mailbox', 'nobody@example.com'), 'NOTFOUND ');
    c.close();
    await service.stop();
  });
});

describe('connection limit', () => {
  test('connections above socketmap.maxConnections are closed and logged; the others keep working', async () => {
    const svc = await startFileService(YAML, { socketmap: { listen: ['127.0.0.1:0'], maxConnections: 2 } });
    const ep = svc.service.socketmap.addresses[0]!;
    const [a, b] = [await socketmapClient(ep), await socketmapClient(ep)];
    assert.equal(await a.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
    const third = await socketmapClient(ep);
    await third.closed();
    assert.ok(svc.logs().some((l) => l.msg === 'connection limit reached; connection refused'));
    assert.equal(await b.query('mailbox', 'bob@example.com'), 'OK example.com/bob/');
    a.close();
    b.close();
    await svc.stop();
  });
});

describe('UNIX socket files', () => {
  test('a stale socket file is replaced, a live one is refused', async () => {
    const tmp = tempDir();
    const path = join(tmp.path, 'sm.sock');
    // A live server holding the path: mailroster must refuse to start rather than steal it.
    const other = createServer().listen(path);
    await new Promise((r) => other.once('listening', r));
    const config = testConfig({ socketmap: { listen: [path] } });
    const blocked = createService(config, { logger: captureLogger().logger, provider: { name: 'x', strict: true, fetchDirectory: async () => ({ mailboxes: [] }) } });
    await assert.rejects(blocked.start(), /in use by another running server/);
    assert.ok(existsSync(path), "the other server's socket survives");
    await new Promise((r) => other.close(r));
    // A server that crashes (SIGKILL) leaves its socket file behind: that file is stale.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(existsSync(path), 'stale socket file left behind');
    const service = createService(config, { logger: captureLogger().logger, provider: { name: 'x', strict: true, fetchDirectory: async () => ({ mailboxes: [{ address: 'a@example.com' }] }) } });
    await service.start();
    await service.sync.syncNow();
    const c = await socketmapClient({ kind: 'unix', path });
    assert.equal(await c.query('mailbox', 'a@example.com'), 'OK example.com/a/');
    c.close();
    await service.stop();
    await blocked.stop();
    tmp.remove();
  });
});
