import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { dictClient, HELLO_23 } from '../helpers/dict-client.js';
import { rawConnection as connectRaw, whileThrowing } from '../helpers/net.js';
import { startFileService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

function directory(n: number): string {
  const lines = ['mailboxes:', '  - address: alice@example.com'];
  for (let i = 1; i < n; i++) lines.push(`  - address: user${String(i).padStart(5, '0')}@example.com`);
  return `${lines.join('\n')}\n`;
}

const rawConnection = (path: string) => connectRaw({ kind: 'unix', path });

const ALICE = 'O{"uid":"5000","gid":"5000","home":"/var/mail/example.com/alice"}';

describe('dict server against hostile clients', () => {
  const sock = tempDir('mailroster-dict-');
  const path = join(sock.path, 'dict.sock');
  const second = join(sock.path, 'dict2.sock');
  let svc: Awaited<ReturnType<typeof startFileService>>;

  before(async () => {
    svc = await startFileService(directory(5000), { dict: { listen: [path, second], requestTimeoutMs: 300, idleTimeoutMs: 60_000, maxConnections: 4 } });
  });
  after(async () => {
    await svc.stop();
    sock.remove();
  });

  test('a client pipelining iterations and lookups without reading does not slow the others', async () => {
    const hog = await rawConnection(path);
    const burst = `${HELLO_23}${'I1\t0\tshared/userdb/\t\nLshared/userdb/alice@example.com\t\n'.repeat(200)}`;
    hog.write(burst);
    const pressing = setInterval(() => hog.writableLength < burst.length && hog.write(burst.slice(HELLO_23.length)), 5);
    setTimeout(() => clearInterval(pressing), 3000).unref();
    const c = await dictClient(path);
    c.write(HELLO_23);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      c.write('Lshared/userdb/alice@example.com\t\n');
      assert.equal(await c.next(), ALICE);
      times.push(performance.now() - t0);
    }
    clearInterval(pressing);
    times.sort((a, b) => a - b);
    const p90 = times[Math.floor(times.length * 0.9)]!;
    assert.ok(p90 < 50, `90% of lookups under 50 ms (p90 ${p90.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms)`);
    c.close();
    hog.destroy();
  });

  test('a 10 MB line is refused after dict.maxLineBytes, and the others keep working', async () => {
    const hog = await rawConnection(path);
    const closed = new Promise((r) => hog.once('close', r));
    hog.write(HELLO_23);
    hog.write(`L${'x'.repeat(10 * 1024 * 1024)}`);
    await closed;
    assert.ok(svc.logs().some((l) => l.code === 'DICT_LINE_TOO_LONG'));
    const c = await dictClient(second);
    c.write(`${HELLO_23}Lshared/userdb/alice@example.com\t\n`);
    assert.equal(await c.next(), ALICE);
    c.close();
  });

  test('slowloris: a command line trickling in is cut off after dict.requestTimeoutMs', async () => {
    const c = await dictClient(path);
    const line = `${HELLO_23}Lshared/userdb/alice@example.com\t\n`;
    let i = 0;
    const drip = setInterval(() => i < line.length && c.write(line.slice(i, ++i)), 50);
    await c.closed();
    clearInterval(drip);
    assert.ok(i < line.length, 'closed before the line was complete');
    assert.ok(svc.logs().some((l) => l.msg === 'dict line not completed in time; closing connection'));
  });

  test('a bug while handling a connection closes that connection only, with an error log', async () => {
    const c = await dictClient(path);
    await whileThrowing(svc.service.counters, 'protocolError', 'simulated bug in the metrics', async () => {
      c.write(`${HELLO_23}Lshared/userdb/alice@example.com\t\nZ\n`);
      assert.equal(await c.next(), ALICE);
      await c.closed();
    });
    assert.ok(svc.logs().some((l) => l.msg === 'dict connection failed; closing it' && l.level === 50));
    const other = await dictClient(second);
    other.write(`${HELLO_23}Lshared/userdb/alice@example.com\t\n`);
    assert.equal(await other.next(), ALICE);
    other.close();
  });

  test('dict.maxConnections counts both sockets together', async () => {
    const held = [await rawConnection(path), await rawConnection(path), await rawConnection(second), await rawConnection(second)];
    const fifth = await dictClient(second);
    assert.equal(await fifth.next(), '<closed>');
    for (const s of held) s.destroy();
  });
});
