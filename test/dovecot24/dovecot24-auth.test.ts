import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseFields, waitForLog } from '../helpers/dovecot-instance.js';
import { missingDovecot24, type Dovecot24Instance } from '../helpers/dovecot24-instance.js';
import { startDovecot24Pair, type Dovecot24Pair } from '../helpers/dovecot24-pair.js';
import { AUTH_TEST_YAML } from '../helpers/auth-directory.js';

const YAML = AUTH_TEST_YAML;

describe('Dovecot 2.4 passdb/userdb through the Lua bridge (files from dovecot-config --out)', { skip: missingDovecot24() }, () => {
  let pair: Dovecot24Pair;
  let dv: Dovecot24Instance;
  let svc: NonNullable<Dovecot24Pair['svc']>;

  before(async () => {
    // 2.4's default auth_username_chars refuses '+' and control bytes before any passdb or
    // userdb runs (LMTP strips +ext itself, see the end-to-end test); here mailroster's rules.
    pair = await startDovecot24Pair({ yaml: YAML, extraConf: 'auth_username_chars =' });
    ({ dv, svc } = { dv: pair.dv, svc: pair.svc! });
  });
  after(() => pair?.stop());

  test('doveadm user returns uid, gid, home and 2.4 field names (mail_driver, mail_path, quota_storage_size)', async () => {
    const r = await dv.doveadm('user', 'alice@example.com');
    assert.equal(r.code, 0, r.stdout + r.stderr + dv.log());
    assert.deepEqual(parseFields(r.stdout), {
      field: 'value', uid: '5000', gid: '5000', home: `${dv.vmail}/example.com/alice`,
      mail_driver: 'maildir', mail_path: `${dv.vmail}/example.com/alice/Maildir`, quota_storage_size: '2G',
    });
  });

  test('a mixed-case and a user+tag name find the same mailbox, by its canonical name', async () => {
    for (const name of ['Alice@Example.COM', 'alice+lists@example.com']) {
      const r = await dv.doveadm('user', name);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const f = parseFields(r.stdout);
      assert.equal(f.home, `${dv.vmail}/example.com/alice`, name);
      assert.equal(f.user, 'alice@example.com', name);
    }
  });

  test('an unknown user and a disabled mailbox do not exist for the userdb (rc 67)', async () => {
    const unknown = await dv.doveadm('user', 'nobody@example.com');
    assert.equal(unknown.code, 67, unknown.stdout + unknown.stderr);
    assert.match(unknown.stdout, /user nobody@example\.com doesn't exist/);
    assert.equal((await dv.doveadm('user', 'carol@example.com')).code, 67);
  });

  test("doveadm user '*' lists every mailbox that receives mail, and no disabled one", async () => {
    const r = await dv.doveadm('user', '*');
    assert.equal(r.code, 0, r.stderr);
    const users = r.stdout.split('\n').filter(Boolean);
    assert.equal(users.length, 3, r.stdout);
    assert.deepEqual(users.slice(0, 2), ['alice@example.com', 'bob@example.com']);
    // The \x01 name came through the reply's %01 escaping; doveadm may drop control bytes when printing.
    assert.match(users[2]!, /^odd.?one@example\.com$/);
    assert.ok(!users.includes('carol@example.com'));
  });

  test('doveadm auth test: right password rc 0, wrong one rc 77 logged as a password mismatch (fail2ban)', async () => {
    const right = await dv.doveadm('auth', 'test', 'alice@example.com', 'secret');
    assert.equal(right.code, 0, right.stdout + dv.log());
    assert.match(right.stdout, /auth succeeded/);
    const wrong = await dv.doveadm('auth', 'test', 'alice@example.com', 'not-the-password');
    assert.equal(wrong.code, 77);
    assert.match(wrong.stdout, /auth failed/);
    await waitForLog(dv, /auth-worker\(alice@example\.com\).*Password mismatch/);
  });

  test('a login with an alias address becomes the canonical mailbox, userdb included', async () => {
    const r = await dv.doveadm('auth', 'login', 'A.Smith@example.com', 'secret');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\s+user=alice@example\.com$/m);
    assert.match(r.stdout, /^\s+original_user=A\.Smith@example\.com$/m);
    assert.match(r.stdout, new RegExp(`^\\s+home=${dv.vmail}/example\\.com/alice$`, 'm'));
  });

  test('a disabled mailbox is refused even with its right password; a wrong one is a plain mismatch', async () => {
    const right = await dv.doveadm('auth', 'test', 'carol@example.com', 'carol-pw');
    assert.equal(right.code, 77, right.stdout);
    assert.match(right.stdout, /code=user_disabled/);
    const wrong = await dv.doveadm('auth', 'test', 'carol@example.com', 'guess');
    assert.equal(wrong.code, 77);
    assert.doesNotMatch(wrong.stdout, /user_disabled/, 'only someone who knows the password learns it is disabled');
  });

  test('a mailbox without a password hash is refused, as an unknown user (a passdb chain may go on)', async () => {
    for (const pw of ['anything', '']) {
      const r = await dv.doveadm('auth', 'test', 'bob@example.com', pw);
      assert.equal(r.code, 77, r.stdout);
      assert.doesNotMatch(r.stdout, /auth succeeded/);
    }
    const answers = svc.logs().filter((l) => l.msg === 'auth lookup' && l.name === 'bob@example.com');
    assert.ok(answers.length >= 2 && answers.every((l) => l.kind === 'passdb' && l.result === 'not-found'));
  });

  test('a passdb request without a password mechanism never reaches mailroster (mechanisms_filter)', async () => {
    const before = svc.logs().length;
    const r = await dv.doveadm('auth', 'lookup', 'alice@example.com');
    assert.notEqual(r.code, 0);
    await waitForLog(dv, /auth\(alice@example\.com\): Error: All password databases were skipped/);
    assert.equal(svc.logs().slice(before).filter((l) => l.kind === 'passdb').length, 0);
  });

  test('no password hash ever reaches mailroster\'s log', () => {
    const all = JSON.stringify(svc.logs());
    assert.ok(!all.includes('{PLAIN}secret') && !all.includes('carol-pw'));
    assert.ok(!all.includes('test-secret-0123456789abcdef'), 'nor the shared secret');
  });
});

describe('Dovecot 2.4 with the auth cache on: the script\'s cache keys', { skip: missingDovecot24() }, () => {
  let pair: Dovecot24Pair;
  let dv: Dovecot24Instance;
  let svc: NonNullable<Dovecot24Pair['svc']>;

  before(async () => {
    pair = await startDovecot24Pair({ yaml: YAML, extraConf: 'auth_cache_size = 1M\nauth_cache_ttl = 1h\nauth_cache_negative_ttl = 1h' });
    ({ dv, svc } = { dv: pair.dv, svc: pair.svc! });
  });
  after(() => pair?.stop());

  test('repeated logins and userdb lookups are answered from the cache, per user', async () => {
    const lookups = (): number => svc.logs().filter((l) => l.msg === 'auth lookup').length;
    for (let i = 0; i < 3; i++) assert.equal((await dv.doveadm('auth', 'test', 'alice@example.com', 'secret')).code, 0);
    const afterPassdb = lookups();
    assert.equal(afterPassdb, 1, 'one passdb request for three logins');
    // A wrong password against a cached entry is still a mismatch, not a success.
    assert.equal((await dv.doveadm('auth', 'test', 'alice@example.com', 'wrong')).code, 77);
    // The cache key holds the user: another user is looked up on its own.
    assert.equal((await dv.doveadm('auth', 'test', 'carol@example.com', 'carol-pw')).code, 77);
    assert.ok(lookups() > afterPassdb);
  });
});

describe('Dovecot 2.4 listing a larger directory through the bridge', { skip: missingDovecot24() }, () => {
  const N = 5000;
  let pair: Dovecot24Pair;

  before(async () => {
    let yaml = 'domains: [example.com]\nmailboxes:\n';
    for (let i = 0; i < N; i++) yaml += `  - address: user${String(i).padStart(4, '0')}@example.com\n`;
    pair = await startDovecot24Pair({ yaml });
  });
  after(() => pair?.stop());

  test(`doveadm user '*' gets all ${N} users: a reply far above one read buffer arrives whole`, async () => {
    // Dovecot 2.4.1 sometimes shuts its auth process down right after start (seen here in about
    // one run in five): auth-worker-connection.c logs this line only when the auth process itself
    // deinitialises, and the listing fails inside Dovecot whatever the user source. That is
    // Dovecot's, so a listing it aborted gets two more tries, a second apart (one at once met the
    // same shutdown in a CI run); any other failure, or this one three times, fails the test.
    const shutdowns = (): number => pair.dv.log().match(/auth-worker: Aborted LIST request for \*: Shutting down/g)?.length ?? 0;
    const list = async (): Promise<{ r: Awaited<ReturnType<Dovecot24Instance['doveadm']>>; aborted: boolean }> => {
      const before = shutdowns();
      const r = await pair.dv.doveadm('user', '*');
      return { r, aborted: shutdowns() > before };
    };
    let { r, aborted } = await list();
    for (let tries = 1; r.code !== 0 && aborted && tries < 3; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      ({ r, aborted } = await list());
    }
    assert.equal(r.code, 0, r.stderr + pair.dv.log().slice(-1000));
    const users = r.stdout.split('\n').filter(Boolean);
    assert.equal(users.length, N);
    assert.equal(users[0], 'user0000@example.com');
    assert.equal(users.at(-1), `user${N - 1}@example.com`);
  });
});
