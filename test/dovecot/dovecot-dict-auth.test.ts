import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingBinaries } from '../helpers/binaries.js';
import { parseFields, startDovecot, VMAIL_UID, waitForLog, type DovecotInstance } from '../helpers/dovecot-instance.js';
import { startFileService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';
import { AUTH_TEST_YAML } from '../helpers/auth-directory.js';

const YAML = AUTH_TEST_YAML;

const skip = missingBinaries('doveadm', 'dovecot');

describe('Dovecot 2.3 passdb/userdb through mailroster', { skip }, () => {
  const sock = tempDir('mailroster-dict-');
  const dictSocket = join(sock.path, 'dict.sock');
  const dictUri = `proxy:${dictSocket}:mailroster`;
  let dv: DovecotInstance;
  let svc: Awaited<ReturnType<typeof startFileService>>;

  before(async () => {
    dv = await startDovecot({ dictSocket });
    svc = await startFileService(YAML, {
      dict: { listen: [dictSocket], userdb: { uid: String(VMAIL_UID), gid: String(VMAIL_UID), home: `${dv.vmail}/%d/%n`, mail: 'maildir:~/Maildir' } },
    });
  });
  after(async () => {
    await svc?.stop();
    await dv?.stop();
    sock.remove();
  });

  test('doveadm user returns uid, gid, home, mail and quota_rule from the templates', async () => {
    const r = await dv.doveadm('user', 'alice@example.com');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseFields(r.stdout), {
      field: 'value', uid: '5000', gid: '5000', home: `${dv.vmail}/example.com/alice`, mail: 'maildir:~/Maildir', quota_rule: '*:storage=2G',
    });
  });

  test('doveadm user for an unknown user exits 67', async () => {
    const r = await dv.doveadm('user', 'nobody@example.com');
    assert.equal(r.code, 67);
    assert.match(r.stdout, /user nobody@example\.com doesn't exist/);
  });

  test('a disabled mailbox does not exist for the userdb (no delivery), like for Postfix', async () => {
    assert.equal((await dv.doveadm('user', 'carol@example.com')).code, 67);
  });

  test("doveadm user '*' lists every mailbox that receives mail", async () => {
    const r = await dv.doveadm('user', '*');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean), ['alice@example.com', 'bob@example.com', 'odd\x01one@example.com']);
  });

  test('doveadm auth test accepts the right password (rc 0) and refuses a wrong one (rc 77)', async () => {
    const right = await dv.doveadm('auth', 'test', 'alice@example.com', 'secret');
    assert.equal(right.code, 0, right.stdout);
    assert.match(right.stdout, /auth succeeded/);
    const wrong = await dv.doveadm('auth', 'test', 'alice@example.com', 'not-the-password');
    assert.equal(wrong.code, 77);
    assert.match(wrong.stdout, /auth failed/);
  });

  test('a login with an alias address becomes the canonical mailbox, userdb included', async () => {
    const r = await dv.doveadm('auth', 'login', 'A.Smith@example.com', 'secret');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\s+user=alice@example\.com$/m);
    assert.match(r.stdout, /^\s+original_user=A\.Smith@example\.com$/m);
    assert.match(r.stdout, new RegExp(`^\\s+home=${dv.vmail}/example\\.com/alice$`, 'm'));
  });

  test('a mailbox without a password hash is unknown to the passdb (a passdb chain may go on)', async () => {
    const r = await dv.doveadm('auth', 'test', 'bob@example.com', 'anything');
    assert.equal(r.code, 77);
    await waitForLog(dv, /dict\(bob@example\.com\): unknown user/);
  });

  test('a disabled mailbox is refused by default, even with its right password', async () => {
    const right = await dv.doveadm('auth', 'test', 'carol@example.com', 'carol-pw');
    assert.equal(right.code, 77, right.stdout);
    assert.doesNotMatch(right.stdout, /nologin|Account disabled/);
  });

  test('doveadm dict get returns the JSON value, and unescapes a key holding \\x01', async () => {
    const r = await dv.doveadm('dict', 'get', dictUri, 'shared/userdb/alice@example.com');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { uid: '5000', gid: '5000', home: `${dv.vmail}/example.com/alice`, mail: 'maildir:~/Maildir', quota_rule: '*:storage=2G' });
    const odd = await dv.doveadm('dict', 'get', dictUri, 'shared/userdb/Odd\x01One@Example.com');
    assert.equal(odd.code, 0, odd.stderr);
    assert.equal(JSON.parse(odd.stdout).user, 'odd\x01one@example.com');
  });

  test('doveadm dict get of a user+tag address finds the mailbox and names it', async () => {
    const r = await dv.doveadm('dict', 'get', dictUri, 'shared/userdb/alice+lists@example.com');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).user, 'alice@example.com');
  });

  test('doveadm dict get of a key outside mailroster\'s key spaces fails instead of saying "not found"', async () => {
    const r = await dv.doveadm('dict', 'get', dictUri, 'shared/users/alice@example.com');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dict-server returned failure: mailroster holds only shared\/userdb/);
  });

  test('doveadm dict iter lists keys with values, -V without values, escaped keys intact', async () => {
    const plain = await dv.doveadm('dict', 'iter', dictUri, 'shared/userdb/');
    assert.equal(plain.code, 0, plain.stderr);
    const rows = plain.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
    assert.deepEqual(rows.map((r) => r[0]), ['shared/userdb/alice@example.com', 'shared/userdb/bob@example.com', 'shared/userdb/odd\x01one@example.com']);
    assert.equal(JSON.parse(rows[1]![1]!).home, `${dv.vmail}/example.com/bob`);
    const noValues = await dv.doveadm('dict', 'iter', '-V', dictUri, 'shared/userdb/');
    assert.deepEqual(noValues.stdout.split('\n').filter(Boolean), ['key', ...rows.map((r) => r[0])]);
  });

  test('doveadm dict iter honours -R (recursive) and -1 (exact key)', async () => {
    const flat = await dv.doveadm('dict', 'iter', '-V', dictUri, 'shared/');
    assert.deepEqual(flat.stdout.split('\n').filter(Boolean), ['key'], 'no direct children of shared/');
    const deep = await dv.doveadm('dict', 'iter', '-V', '-R', dictUri, 'shared/');
    assert.equal(deep.stdout.split('\n').filter(Boolean).length, 4, 'header + three userdb keys; passdb keys are never listed');
    const exact = await dv.doveadm('dict', 'iter', '-1', dictUri, 'shared/userdb/bob@example.com');
    assert.deepEqual(exact.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]), ['key', 'shared/userdb/bob@example.com']);
  });

  test('doveadm dict set fails at once with the read-only reason (no 30 s client timeout)', async (t) => {
    const r = await dv.doveadm('dict', 'set', dictUri, 'shared/foo', 'bar');
    t.diagnostic(`doveadm dict set took ${r.ms} ms`);
    assert.notEqual(r.code, 0);
    // Our reply, not Dovecot's "Dict server timeout": the answer came from mailroster.
    assert.match(r.stderr, /dict_transaction_commit\(\) failed: dict-server returned failure: mailroster is read-only/);
    assert.ok(svc.logs().some((l) => l.msg === 'dict write refused: mailroster is read-only' && (l.keys as string[])[0] === 'shared/foo'));
  });

  test('no password hash ever reaches the log', () => {
    const all = JSON.stringify(svc.logs());
    assert.ok(!all.includes('{PLAIN}secret') && !all.includes('carol-pw'));
  });
});

describe('Dovecot keeping its dict connection (idle_msecs) to a mailroster that starts unloaded, disabledMode nologin', { skip }, () => {
  const sock = tempDir('mailroster-dict-');
  const dictSocket = join(sock.path, 'dict.sock');
  let dv: DovecotInstance;
  let svc: Awaited<ReturnType<typeof startFileService>>;

  before(async () => {
    dv = await startDovecot({ dictSocket, idleMsecs: 60_000 });
    // A directory the strict file provider refuses: nothing is loaded until the file is fixed.
    svc = await startFileService('mailboxes: 5\n', { dict: { listen: [dictSocket], passdb: { disabledMode: 'nologin' } } });
  });
  after(async () => {
    await svc?.stop();
    await dv?.stop();
    sock.remove();
  });

  test('before the directory is loaded, lookups fail temporarily (rc 75), never "doesn\'t exist"', async () => {
    const r = await dv.doveadm('user', 'alice@example.com');
    assert.equal(r.code, 75, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /doesn't exist/);
    await waitForLog(dv, /dict-server returned failure: directory not loaded yet/);
  });

  test('once loaded, the same kept connection answers every later lookup', async () => {
    writeFileSync(svc.file, YAML);
    await svc.service.sync.syncNow();
    for (const user of ['alice@example.com', 'bob@example.com', 'alice@example.com']) {
      const r = await dv.doveadm('user', user);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    const hellos = svc.logs().filter((l) => l.msg === 'dict hello');
    const lookups = svc.logs().filter((l) => l.msg === 'dict lookup');
    assert.equal(lookups.length, 4);
    assert.equal(hellos.length, 1, 'auth-worker connected once and kept the connection');
    assert.equal(svc.service.dict.connectionCount, 1);
  });

  test('with dict.passdb.disabledMode=nologin a disabled mailbox gets nologin and the reason, only once the password matched', async () => {
    // Login processes (imap-login, pop3-login, submission-login) refuse a nologin success.
    const right = await dv.doveadm('auth', 'test', 'carol@example.com', 'carol-pw');
    assert.match(right.stdout, /^\s+nologin$/m);
    assert.match(right.stdout, /^\s+reason=Account disabled$/m);
    const wrong = await dv.doveadm('auth', 'test', 'carol@example.com', 'guess');
    assert.equal(wrong.code, 77);
    assert.doesNotMatch(wrong.stdout, /Account disabled/);
    assert.equal((await dv.doveadm('auth', 'test', 'alice@example.com', 'secret')).code, 0);
  });
});
