import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { encodeNetstring } from '../../protocol/netstring.js';
import { rawConnection, waitFor } from '../helpers/net.js';
import { socketmapClient, type SocketmapClient } from '../helpers/socketmap-client.js';
import { killServeProcesses, serveProcess as serve, type ServeProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

/** A temp dir with a directory file, a config file and a socket path. */
function setup(extra: Record<string, unknown> = {}) {
  const tmp = tempDir();
  const dirFile = join(tmp.path, 'directory.yaml');
  const sock = join(tmp.path, 'socketmap.sock');
  const configFile = join(tmp.path, 'config.json');
  writeFileSync(dirFile, 'mailboxes:\n  - address: alice@example.com\n');
  const config = (more: Record<string, unknown> = {}): void =>
    writeFileSync(configFile, JSON.stringify({ socketmap: { listen: [sock] }, provider: { type: 'file', file: { path: dirFile } }, ...extra, ...more }));
  config();
  return { tmp, dirFile, sock, configFile, config };
}

async function connectWhenUp(sock: string, p: ServeProcess): Promise<SocketmapClient> {
  // The socket file appears at bind(), a moment before listen(): a connect in between is refused,
  // so try again (as Postfix would) until it is accepted or the process has exited.
  let c: SocketmapClient | undefined;
  await waitFor(async () => {
    if (p.child.exitCode !== null) throw new Error(`serve exited with ${p.child.exitCode}:\n${p.output()}`);
    if (!existsSync(sock)) return false;
    c = await socketmapClient({ kind: 'unix', path: sock }).catch(() => undefined);
    return c !== undefined;
  }, 15_000, 'the socket to accept connections');
  await waitFor(async () => (await c!.query('mailbox', 'alice@example.com')) === 'OK example.com/alice/', 15_000, 'alice to be served');
  return c!;
}

after(killServeProcesses);

describe('mailroster serve as a process', () => {
  test('SIGHUP applies a changed config live (directory path, log level) without dropping connections', async () => {
    const s = setup();
    const p = serve(s.configFile);
    const c = await connectWhenUp(s.sock, p);
    const other = join(s.tmp.path, 'other.yaml');
    writeFileSync(other, 'mailboxes:\n  - address: alice@example.com\n  - address: bob@example.com\n');
    s.config({ provider: { type: 'file', file: { path: other } }, log: { level: 'debug' } });
    p.child.kill('SIGHUP');
    await waitFor(async () => (await c.query('mailbox', 'bob@example.com')) === 'OK example.com/bob/', 10_000, 'bob from the new file, on the old connection');
    const reloaded = p.logs().find((l) => l.msg === 'configuration reloaded');
    assert.deepEqual(reloaded?.applied, ['log.level', 'provider.file.path']);
    await waitFor(() => p.logs().some((l) => l.level === 20 && l.msg === 'lookup'), 5000, 'debug lines after the reload');
    c.close();
    p.child.kill('SIGTERM');
    assert.equal((await p.exited()).code, 0);
    s.tmp.remove();
  });

  test('SIGHUP with a broken config is refused with the reason; the running config stays', async () => {
    const s = setup();
    const p = serve(s.configFile);
    const c = await connectWhenUp(s.sock, p);
    writeFileSync(s.configFile, JSON.stringify({ socketmap: { listen: [s.sock], maxConnections: 'many' }, nosuchkey: 1 }));
    p.child.kill('SIGHUP');
    await waitFor(() => p.logs().some((l) => l.msg?.toString().startsWith('configuration reload refused')), 10_000, 'the refusal');
    const refusal = p.logs().find((l) => l.msg?.toString().startsWith('configuration reload refused'))!;
    assert.match(String(refusal.msg), /socketmap\.maxConnections/);
    assert.match(String(refusal.msg), /nosuchkey/);
    assert.equal(await c.query('mailbox', 'alice@example.com'), 'OK example.com/alice/', 'still serving on the same connection');
    // A provider that cannot be built (secret file missing) is refused too.
    s.config({ provider: { type: 'authentik', authentik: { url: 'http://127.0.0.1:9', tokenFile: join(s.tmp.path, 'missing-token') } } });
    p.child.kill('SIGHUP');
    await waitFor(() => p.logs().filter((l) => l.msg?.toString().startsWith('configuration reload refused')).length === 2, 10_000, 'the second refusal');
    assert.equal(await c.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
    c.close();
    p.child.kill('SIGTERM');
    assert.equal((await p.exited()).code, 0);
    s.tmp.remove();
  });

  test('SIGTERM during load: in-flight lookups answered, exit 0, socket file removed', async () => {
    const s = setup();
    const p = serve(s.configFile);
    const clients = [await connectWhenUp(s.sock, p), await connectWhenUp(s.sock, p), await connectWhenUp(s.sock, p)];
    let wrong = 0;
    let answered = 0;
    const loops = clients.map(async (c) => {
      for (;;) {
        const r = await c.query('mailbox', 'alice@example.com');
        if (r === '<closed>') return;
        if (r === 'OK example.com/alice/') answered++;
        else wrong++;
      }
    });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const { code } = await p.exited();
    await Promise.all(loops);
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 10_000, 'stopped within the bound');
    assert.ok(answered > 0);
    assert.equal(wrong, 0, 'no lookup got anything but its answer before the close');
    assert.equal(existsSync(s.sock), false, 'socket file removed');
    s.tmp.remove();
  });

  test('a second SIGTERM exits at once while the first waits for a client that does not read', async () => {
    const s = setup({ lists: undefined });
    const members = Array.from({ length: 2500 }, (_, i) => `m${i}@elsewhere.org`);
    writeFileSync(s.dirFile, `mailboxes:\n  - address: alice@example.com\nlists:\n  - address: team@example.com\n    members: [${members.join(', ')}]\n`);
    const p = serve(s.configFile);
    (await connectWhenUp(s.sock, p)).close();
    const hog = await rawConnection({ kind: 'unix', path: s.sock });
    hog.write(Buffer.concat(Array.from({ length: 500 }, () => encodeNetstring('alias team@example.com'))));
    await new Promise((r) => setTimeout(r, 200));
    p.child.kill('SIGTERM');
    await waitFor(() => p.logs().some((l) => String(l.msg).startsWith('stopping')), 5000, 'the stop to begin');
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const { code } = await p.exited();
    assert.equal(code, 1);
    assert.ok(Date.now() - t0 < 1500, 'the second signal did not wait for the grace period');
    assert.ok(p.logs().some((l) => l.msg === 'second signal; exiting now'));
    hog.destroy();
    s.tmp.remove();
  });

  test('a broken directory file at start: serve keeps running and answers TEMP until the file is fixed', async () => {
    const s = setup();
    writeFileSync(s.dirFile, 'mailboxes:\n  - address: alice@example.com\n    quota: huge\n');
    const p = serve(s.configFile);
    await waitFor(() => existsSync(s.sock), 15_000, 'the socket');
    const c = await socketmapClient({ kind: 'unix', path: s.sock });
    await waitFor(() => p.logs().some((l) => l.msg === 'sync failed; the last good directory keeps serving'), 10_000, 'the sync error');
    assert.match(await c.query('mailbox', 'alice@example.com'), /^TEMP /);
    writeFileSync(s.dirFile, 'mailboxes:\n  - address: alice@example.com\n');
    await waitFor(async () => (await c.query('mailbox', 'alice@example.com')) === 'OK example.com/alice/', 10_000, 'the fixed file');
    assert.equal(p.child.exitCode, null);
    c.close();
    p.child.kill('SIGTERM');
    assert.equal((await p.exited()).code, 0);
    s.tmp.remove();
  });
});

describe('readable startup errors', () => {
  /** Runs serve until it exits; the output must be one line without a stack. */
  async function failingServe(configFile: string): Promise<{ code: number | null; text: string }> {
    const p = serve(configFile);
    const { code } = await p.exited();
    const text = p.output().split('\n').filter((l) => l !== '' && !l.startsWith('{')).join('\n');
    assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
    return { code, text };
  }

  test('a port in use names socketmap.listen and exits 69 (EX_UNAVAILABLE)', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as { port: number }).port;
    const s = setup();
    s.config({ socketmap: { listen: [`127.0.0.1:${port}`] } });
    const { code, text } = await failingServe(s.configFile);
    assert.equal(code, 69);
    assert.equal(text, `mailroster: socketmap.listen: cannot listen on 127.0.0.1:${port}: address already in use (another process listens there) (EADDRINUSE)`);
    taken.close();
    s.tmp.remove();
  });

  test('a socket folder that does not exist names dict.listen and exits 73 (EX_CANTCREAT)', async () => {
    const s = setup();
    s.config({ dict: { listen: [join(s.tmp.path, 'nope', 'dict.sock')] } });
    const { code, text } = await failingServe(s.configFile);
    assert.equal(code, 73);
    assert.match(text, /^mailroster: dict\.listen: cannot listen on .*\/nope\/dict\.sock: the folder does not exist \(ENOENT\)$/);
    assert.equal(existsSync(s.sock), false, 'the socketmap socket bound before it is removed again');
    s.tmp.remove();
  });

  test('a missing secret file names the key and exits 78 (EX_CONFIG)', async () => {
    const s = setup();
    s.config({ provider: { type: 'authentik', authentik: { url: 'http://127.0.0.1:9', tokenFile: join(s.tmp.path, 'token') } } });
    const { code, text } = await failingServe(s.configFile);
    assert.equal(code, 78);
    assert.match(text, /^mailroster: provider\.authentik\.tokenFile: cannot read secret file .*token: ENOENT/);
    s.tmp.remove();
  });
});
