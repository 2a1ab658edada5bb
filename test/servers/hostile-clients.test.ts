import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { encodeNetstring } from '../../protocol/netstring.js';
import type { Endpoint } from '../../src/config/formats.js';
import { rawConnection, waitFor, whileThrowing } from '../helpers/net.js';
import { startFileService } from '../helpers/service.js';
import { socketmapClient } from '../helpers/socketmap-client.js';
import { tempDir } from '../helpers/temp.js';

/** A directory with a 2,500-member list: its alias answer is about 50 KB. */
function bigListDirectory(): string {
  const members = Array.from({ length: 2500 }, (_, i) => `member${String(i).padStart(4, '0')}@elsewhere.org`);
  return `mailboxes:\n  - address: alice@example.com\n  - address: bob@example.com\nlists:\n  - address: team@example.com\n    members: [${members.join(', ')}]\n`;
}

/** Lockstep lookups on a fresh client; resolves with the latency of each in ms. */
async function timedLookups(ep: Endpoint, n: number): Promise<number[]> {
  const c = await socketmapClient(ep);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    assert.equal(await c.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
    times.push(performance.now() - t0);
  }
  c.close();
  return times.sort((a, b) => a - b);
}

describe('socketmap server against hostile clients', () => {
  const sock = tempDir();
  let svc: Awaited<ReturnType<typeof startFileService>>;
  let tcp: Endpoint;

  before(async () => {
    svc = await startFileService(bigListDirectory(), {
      socketmap: { listen: ['127.0.0.1:0', join(sock.path, 'sm.sock')], requestTimeoutMs: 300, idleTimeoutMs: 60_000, maxConnections: 3000 },
    });
    tcp = svc.service.socketmap.addresses[0]!;
  });
  after(async () => {
    await svc.stop();
    sock.remove();
  });

  test('a client pipelining 3,000 requests for a 2,500-member list and never reading does not slow the others', async () => {
    const hog = await rawConnection(tcp);
    const burst = Buffer.concat(Array.from({ length: 3000 }, () => encodeNetstring('alias team@example.com')));
    hog.write(burst);
    // It keeps pipelining as long as the kernel takes its bytes (what it cannot send stays here).
    const pressing = setInterval(() => hog.writableLength < burst.length && hog.write(burst), 5);
    setTimeout(() => clearInterval(pressing), 3000).unref();
    await new Promise((r) => setTimeout(r, 50));
    const times = await timedLookups(tcp, 200);
    clearInterval(pressing);
    const p90 = times[Math.floor(times.length * 0.9)]!;
    // Before backpressure the server built ~150 MB of replies in one go and others waited > 5 s.
    assert.ok(p90 < 50, `90% of lookups under 50 ms (p90 ${p90.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms)`);
    assert.ok(times.at(-1)! < 1000, `no lookup waits a second (max ${times.at(-1)!.toFixed(1)} ms)`);
    hog.destroy();
  });

  test('a pipelining client that reads late still gets every reply, in order', async () => {
    const c = await socketmapClient(tcp);
    c.socket.pause();
    const queries = Array.from({ length: 300 }, (_, i) => (i % 3 === 2 ? 'mailbox bob@example.com' : 'alias team@example.com'));
    c.writeRaw(Buffer.concat(queries.map((q) => encodeNetstring(q))));
    await new Promise((r) => setTimeout(r, 300));
    c.socket.resume();
    for (let i = 0; i < queries.length; i++) {
      const reply = await c.next();
      if (i % 3 === 2) assert.equal(reply, 'OK example.com/bob/', `reply ${i}`);
      else assert.ok(reply.startsWith('OK member0000@elsewhere.org,') && reply.length > 50_000, `reply ${i}`);
    }
    c.close();
  });

  test('good frames followed by a malformed one in the same chunk are answered before the close', async () => {
    for (const garbage of ['xx:', '5:hello,', '3:abc;']) {
      const c = await socketmapClient(tcp);
      c.writeRaw(Buffer.concat([encodeNetstring('mailbox alice@example.com'), encodeNetstring('alias team@example.com'), encodeNetstring('domain example.com'), Buffer.from(garbage)]));
      assert.equal(await c.next(), 'OK example.com/alice/', garbage);
      assert.ok((await c.next()).startsWith('OK member0000@'), garbage);
      assert.equal(await c.next(), 'OK example.com', garbage);
      assert.equal(await c.next(), '<closed>', garbage);
    }
  });

  test('a length prefix of 10^12 is refused at once, before any payload', async () => {
    const c = await socketmapClient(tcp);
    c.writeRaw('1000000000000:');
    await c.closed();
    assert.ok(svc.logs().some((l) => l.code === 'NETSTRING_TOO_LONG'));
  });

  test('slowloris: a request trickling in byte by byte is cut off after socketmap.requestTimeoutMs', async () => {
    const c = await socketmapClient(tcp);
    const frame = encodeNetstring('mailbox alice@example.com');
    let i = 0;
    const drip = setInterval(() => i < frame.length && c.writeRaw(frame.subarray(i, ++i)), 50);
    const t0 = Date.now();
    await c.closed();
    clearInterval(drip);
    assert.ok(i < frame.length, 'closed before the request was complete');
    assert.ok(Date.now() - t0 < 5000);
    assert.ok(svc.logs().some((l) => l.msg === 'request not completed in time; closing connection'));
  });

  test('a bug in the lookup path answers TEMP for that request; the connection keeps serving', async () => {
    const c = await socketmapClient(tcp);
    await whileThrowing(svc.service.counters, 'count', 'simulated bug in the lookup path', async () => {
      assert.equal(await c.query('mailbox', 'alice@example.com'), 'TEMP internal error');
    });
    assert.equal(await c.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
    assert.ok(svc.logs().some((l) => l.msg === 'lookup failed' && (l.err as { message: string }).message === 'simulated bug in the lookup path'));
    c.close();
  });

  test('a bug elsewhere in the connection closes that connection only, with an error log', async () => {
    const other = await socketmapClient(tcp);
    const c = await socketmapClient(tcp);
    await whileThrowing(svc.service.counters, 'protocolError', 'simulated bug in the metrics', async () => {
      c.writeRaw(Buffer.concat([encodeNetstring('mailbox bob@example.com'), Buffer.from('garbage')]));
      assert.equal(await c.next(), 'OK example.com/bob/');
      await c.closed();
    });
    assert.ok(svc.logs().some((l) => l.msg === 'socketmap connection failed; closing it' && l.level === 50));
    assert.equal(await other.query('mailbox', 'bob@example.com'), 'OK example.com/bob/', 'the process and the other connections live on');
    other.close();
  });
});

describe('socketmap connection limit across endpoints', () => {
  test('2,000 idle connections over a TCP and a UNIX endpoint: the limit holds in total, refusals are logged in bounded lines', async () => {
    const sock = tempDir();
    const unix: Endpoint = { kind: 'unix', path: join(sock.path, 'sm.sock') };
    const svc = await startFileService('mailboxes:\n  - address: alice@example.com\n', { socketmap: { listen: ['127.0.0.1:0', unix.path], maxConnections: 1500 } });
    const tcp = svc.service.socketmap.addresses[0]!;
    const idle: Socket[] = [];
    for (let i = 0; i < 2000; i++) idle.push(await rawConnection(i % 2 === 0 ? tcp : unix));
    await waitFor(() => svc.service.socketmap.connectionCount === 1500 && idle.filter((s) => s.destroyed || s.readableEnded).length === 500, 10_000, '500 refusals');
    const refusals = svc.logs().filter((l) => l.msg === 'connection limit reached; connection refused');
    assert.ok(refusals.length >= 1 && refusals.length <= 10, `refusals logged in ${refusals.length} lines`);
    // An idle connection that was kept still answers at once.
    const kept = idle.find((s) => !s.destroyed && !s.readableEnded)!;
    const reply = new Promise<string>((resolve) => kept.once('data', (d) => resolve(d.toString())));
    kept.write(encodeNetstring('mailbox alice@example.com'));
    assert.equal(await reply, '21:OK example.com/alice/,');
    for (const s of idle.splice(0, 1000)) s.destroy();
    await waitFor(() => svc.service.socketmap.connectionCount <= 1000, 10_000, 'closed connections to be counted');
    const c = await socketmapClient(unix);
    assert.equal(await c.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
    c.close();
    for (const s of idle) s.destroy();
    await svc.stop();
    sock.remove();
  });

  test('socketmap.maxConnections counts two TCP endpoints together', async () => {
    const svc = await startFileService('mailboxes:\n  - address: alice@example.com\n', { socketmap: { listen: ['127.0.0.1:0', '127.0.0.1:0'], maxConnections: 3 } });
    const [a, b] = svc.service.socketmap.addresses as [Endpoint, Endpoint];
    const clients = [await socketmapClient(a), await socketmapClient(a), await socketmapClient(b)];
    for (const c of clients) assert.equal(await c.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
    const fourth = await socketmapClient(b);
    assert.equal(await fourth.next(), '<closed>');
    for (const c of clients) c.close();
    await svc.stop();
  });
});
