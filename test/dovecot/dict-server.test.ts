import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { dictClient, HELLO_23 } from '../helpers/dict-client.js';
import { startFileService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

const MAILBOXES = 5000;

// Thousands of mailboxes: enough rows for an iteration to outrun a socket buffer.
function bigDirectory(): string {
  const lines = ['domains: [example.com]', 'mailboxes:', '  - address: alice@example.com', '    aliases: [a.smith@example.com]', '    quota: 512M', '    passwordHash: "{PLAIN}secret"'];
  for (let i = 1; i < MAILBOXES; i++) lines.push(`  - address: user${String(i).padStart(5, '0')}@example.com`);
  lines.push('  - address: off@example.com', '    enabled: false');
  return lines.join('\n') + '\n';
}

const ALICE_FIELDS = '"uid":"5000","gid":"5000","home":"/var/mail/example.com/alice","quota_rule":"*:storage=512M"}';
/** alice's userdb value; looked up by another form of her address it also names her (`user`). */
const ALICE = `{${ALICE_FIELDS}`;
const ALICE_RENAMED = `{"user":"alice@example.com",${ALICE_FIELDS}`;

describe('dict server over a UNIX socket', () => {
  const sock = tempDir('mailroster-dict-');
  const path = join(sock.path, 'dict.sock');
  let svc: Awaited<ReturnType<typeof startFileService>>;

  before(async () => {
    svc = await startFileService(bigDirectory(), { dict: { listen: [path], socketMode: '0600', maxLineBytes: 1024, idleTimeoutMs: 1000 } });
  });
  after(async () => {
    await svc.stop();
    sock.remove();
  });

  test('the socket gets the configured mode', () => {
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  for (const hello of ['H2\t2\t0\t\tx\n', HELLO_23, 'H4\t0\t0\t\tmailroster\n']) {
    test(`answers HELLO + lookup sent in one write (${JSON.stringify(hello.slice(0, 2))})`, async () => {
      const c = await dictClient(path);
      c.write(`${hello}Lshared/userdb/Alice@Example.COM\tAlice@Example.COM\n`);
      assert.equal(await c.next(), `O${ALICE_RENAMED}`);
      c.close();
    });
  }

  test('answers pipelined commands strictly in order, transactions included', async () => {
    const c = await dictClient(path);
    c.write(`${HELLO_23}Lshared/passdb/a.smith@example.com\ta.smith@example.com\nI0\t2\tshared/userdb/\t*\nB1\t\nS1\tshared/foo\tbar\nR1\nLshared/userdb/nobody@example.com\t\nB2\t\nU2\tshared/foo\nC2\nLshared/passdb/user00001@example.com\t\n`);
    assert.equal(await c.next(), 'O{"password":"{PLAIN}secret","user":"alice@example.com"}');
    assert.deepEqual(await c.rows(), [`Oshared/userdb/alice@example.com\t${ALICE}`, 'Oshared/userdb/user00001@example.com\t{"uid":"5000","gid":"5000","home":"/var/mail/example.com/user00001"}', '']);
    assert.equal(await c.next(), 'N', 'R is silent: the next reply is the lookup after it');
    assert.equal(await c.next(), 'F2\tmailroster is read-only; dict writes are not supported');
    assert.equal(await c.next(), 'N', 'a mailbox without a password hash is not in the passdb');
    c.close();
  });

  test('reassembles commands delivered one byte at a time', async () => {
    const c = await dictClient(path);
    for (const b of Buffer.from(`${HELLO_23}Lshared/userdb/alice+tag@example.com\t\n`)) c.write(Buffer.from([b]));
    assert.equal(await c.next(), `O${ALICE_RENAMED}`);
    c.close();
  });

  test('keeps a connection for later lookups (Dovecot idle_msecs)', async () => {
    const c = await dictClient(path);
    c.write(`${HELLO_23}Lshared/userdb/alice@example.com\t\n`);
    assert.match(await c.next(), /^O/);
    await new Promise((r) => setTimeout(r, 50));
    c.write('Lshared/userdb/off@example.com\t\n');
    assert.equal(await c.next(), 'N', 'a disabled mailbox does not exist for the userdb');
    c.close();
  });

  test('closes a connection that stays silent for dict.idleTimeoutMs', async () => {
    const c = await dictClient(path);
    c.write(`${HELLO_23}Lshared/userdb/alice@example.com\t\n`);
    assert.match(await c.next(), /^O/);
    await c.closed();
    assert.ok(svc.logs().some((l) => l.msg === 'idle timeout' && l.proto === 'dict'));
  });

  test('streams every mailbox to a slow reader, in order, then the terminator and the next reply', async () => {
    const c = await dictClient(path);
    c.socket.pause();
    c.write(`${HELLO_23}I8\t0\tshared/userdb/\t*\nLshared/userdb/alice@example.com\t\n`);
    await new Promise((r) => setTimeout(r, 200));
    c.socket.resume();
    const rows = await c.rows();
    assert.equal(rows.length, MAILBOXES + 1, 'every enabled mailbox, then the empty line');
    assert.equal(rows[0], 'Oshared/userdb/alice@example.com\t');
    assert.equal(rows[MAILBOXES - 1], 'Oshared/userdb/user04999@example.com\t');
    assert.equal(await c.next(), `O${ALICE}`);
    c.close();
  });

  test('answers everything a client sent before it half-closed, a long iteration included', async () => {
    const c = await dictClient(path);
    c.socket.end(`${HELLO_23}I0\t0\tshared/userdb/\t\n`);
    const rows = await c.rows();
    assert.equal(rows.length, MAILBOXES + 1);
    await c.closed();
  });

  test('honours max rows and EXACT_KEY', async () => {
    const c = await dictClient(path);
    c.write(`${HELLO_23}I8\t3\tshared/userdb/\t\nI16\t0\tshared/userdb/user00007@example.com\t\nI16\t0\tshared/userdb/\t\n`);
    assert.deepEqual(await c.rows(), ['Oshared/userdb/alice@example.com\t', 'Oshared/userdb/user00001@example.com\t', 'Oshared/userdb/user00002@example.com\t', '']);
    assert.deepEqual((await c.rows()).map((r) => r.split('\t')[0]), ['Oshared/userdb/user00007@example.com', '']);
    assert.deepEqual(await c.rows(), ['']);
    c.close();
  });

  test('fails (F, never N) for keys and paths outside shared/userdb and shared/passdb', async () => {
    const c = await dictClient(path);
    c.write(`${HELLO_23}Lpriv/quota/storage\talice@example.com\nIbad\n`);
    assert.match(await c.next(), /^Fmailroster holds only shared\/userdb\/<user> and shared\/passdb\/<user>, not priv\/quota\/storage$/);
    await c.closed();
  });

  const MALFORMED: [string, string, string][] = [
    ['a command before HELLO', 'Lshared/userdb/alice@example.com\t\n', 'DICT_BAD_HANDSHAKE'],
    ['protocol major 5', 'H5\t0\t0\t\tx\n', 'DICT_BAD_HANDSHAKE'],
    ['an unknown command', `${HELLO_23}X1\n`, 'DICT_UNKNOWN_COMMAND'],
    ['a SET without a value', `${HELLO_23}B1\t\nS1\tshared/foo\n`, 'DICT_BAD_COMMAND'],
  ];
  for (const [why, bytes, code] of MALFORMED) {
    test(`closes the connection on ${why}, logged with the peer and ${code}`, async () => {
      const c = await dictClient(path);
      c.write(bytes);
      assert.equal(await c.next(), '<closed>');
      const line = svc.logs().find((l) => l.msg === 'malformed dict input; closing connection' && l.code === code);
      assert.ok(line, 'a warning was logged');
      assert.equal(line!.peer, `unix:${path}`);
      assert.equal(line!.proto, 'dict');
    });
  }

  test('answers the lines before a malformed one, then closes', async () => {
    const c = await dictClient(path);
    c.write(`${HELLO_23}Lshared/userdb/nobody@example.com\t\n\x00garbage\n`);
    assert.equal(await c.next(), 'N');
    assert.equal(await c.next(), '<closed>');
  });

  test('refuses a line longer than maxLineBytes before it ends', async () => {
    const c = await dictClient(path);
    c.write(`${HELLO_23}L${'x'.repeat(2000)}`);
    await c.closed();
    assert.ok(svc.logs().some((l) => l.code === 'DICT_LINE_TOO_LONG'));
  });

  test('never hangs a client on random command lines: each one is answered or closed', async () => {
    // A fixed-seed generator, so a failure can be replayed. Lines are built from the command
    // alphabet, digits, TAB, \x01 escapes and arbitrary bytes, after a valid HELLO half the time,
    // and end with a real lookup: the server must either answer it or close the connection.
    let seed = 7;
    const rand = (n: number): number => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    const alphabet = ['L', 'I', 'B', 'S', 'U', 'A', 'T', 'V', 'C', 'D', 'R', 'H', '0', '1', '9', '-', '\t', '\x01', '\n', 'shared/userdb/', 'x'];
    for (let i = 0; i < 200; i++) {
      const c = await dictClient(path);
      const junk = Array.from({ length: 1 + rand(40) }, () => (rand(8) === 0 ? String.fromCharCode(rand(256)) : alphabet[rand(alphabet.length)]!)).join('');
      c.write(`${i % 2 === 0 ? HELLO_23 : ''}${junk}\nLshared/userdb/alice@example.com\t\n`);
      for (let line = await c.next(); line !== '<closed>' && line !== `O${ALICE}`; line = await c.next());
      c.close();
    }
    const c = await dictClient(path);
    c.write(`${HELLO_23}Lshared/userdb/alice@example.com\t\n`);
    assert.equal(await c.next(), `O${ALICE}`, 'the server still answers');
    c.close();
  });

  test('counts dict lookups by key space and result, and protocol errors by code (for /metrics)', () => {
    const lookups = svc.service.counters.lookups().filter((l) => l.proto === 'dict');
    assert.ok(lookups.some((l) => l.map === 'userdb' && l.result === 'found' && l.count > 0));
    assert.ok(lookups.some((l) => l.map === 'passdb' && l.result === 'not-found'));
    assert.ok(lookups.some((l) => l.map === 'iterate' && l.result === 'rows'));
    assert.ok(svc.service.counters.protocolErrors().some((e) => e.proto === 'dict' && e.code === 'DICT_BAD_HANDSHAKE'));
  });

  test('never logs a password hash', () => {
    assert.ok(!JSON.stringify(svc.logs()).includes('{PLAIN}secret'));
  });
});

describe('dict server before the directory is loaded', () => {
  const sock = tempDir('mailroster-dict-');
  const path = join(sock.path, 'dict.sock');
  let svc: Awaited<ReturnType<typeof startFileService>>;

  before(async () => {
    // A directory the strict file provider refuses: nothing is ever loaded.
    svc = await startFileService('mailboxes: 5\n', { dict: { listen: [path] } });
  });
  after(async () => {
    await svc.stop();
    sock.remove();
  });

  test('answers F for lookups and iterations, never N', async () => {
    const c = await dictClient(path);
    c.write(`${HELLO_23}Lshared/userdb/alice@example.com\t\nLshared/passdb/alice@example.com\t\nI0\t0\tshared/userdb/\t*\n`);
    assert.equal(await c.next(), 'Fdirectory not loaded yet');
    assert.equal(await c.next(), 'Fdirectory not loaded yet');
    assert.deepEqual(await c.rows(), ['Fdirectory not loaded yet']);
    c.close();
  });
});
