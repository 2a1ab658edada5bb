import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { AUTH_TEST_YAML } from '../helpers/auth-directory.js';
import { waitForLog } from '../helpers/dovecot-instance.js';
import { missingDovecot24 } from '../helpers/dovecot24-instance.js';
import { startDovecot24Pair, type Dovecot24Pair } from '../helpers/dovecot24-pair.js';
import { smtpSession } from '../helpers/smtp-client.js';
import { tempDir } from '../helpers/temp.js';

/** The LMTP reply to RCPT TO:<rcpt> on Dovecot's LMTP socket. */
async function lmtpRcpt(socket: string, rcpt: string): Promise<string> {
  const s = await smtpSession(socket);
  try {
    await s.command('LHLO client.test');
    await s.command('MAIL FROM:<sender@remote.test>');
    return (await s.command(`RCPT TO:<${rcpt}>`)).text;
  } finally {
    await s.close();
  }
}

/** doveadm user and doveadm auth test exit codes for one user. */
async function codes(pair: Dovecot24Pair, user = 'alice@example.com', password = 'secret'): Promise<{ userdb: number; passdb: number }> {
  const u = await pair.dv.doveadm('user', user);
  const p = await pair.dv.doveadm('auth', 'test', user, password);
  return { userdb: u.code, passdb: p.code };
}

describe('Dovecot 2.4 while mailroster is away, not loaded yet, or back', { skip: missingDovecot24() }, () => {
  let pair: Dovecot24Pair;

  before(async () => {
    // No mailroster yet: the Lua's first call finds a closed port.
    pair = await startDovecot24Pair({ lmtp: true });
  });
  after(() => pair?.stop());

  test('mailroster not running: userdb and auth fail temporarily (rc 75), LMTP answers 4xx', async () => {
    assert.deepEqual(await codes(pair), { userdb: 75, passdb: 75 });
    assert.match(await lmtpRcpt(pair.dv.lmtpSocket, 'alice@example.com'), /^4\d\d /);
    assert.notEqual((await pair.dv.doveadm('user', '*')).code, 0, 'an iteration fails rather than listing nobody');
  });

  test('mailroster hanging (accepts, never answers): rc 75 once request_timeout runs out, never a hang', async () => {
    const held: Socket[] = [];
    const hole = createServer((sock) => void held.push(sock));
    await new Promise<void>((r) => hole.listen(pair.port, '127.0.0.1', r));
    try {
      const r = await pair.dv.doveadm('user', 'alice@example.com');
      assert.equal(r.code, 75, r.stdout + r.stderr);
      assert.ok(r.ms >= 2000, `waited for the 2 s request_timeout (${r.ms} ms)`);
      await waitForLog(pair.dv, /mailroster: HTTP 9\d\d\d .*timed out/i);
    } finally {
      for (const sock of held) sock.destroy();
      await new Promise((r) => hole.close(r));
    }
  });

  test('mailroster up but its directory not loaded yet: rc 75 and 4xx, never "doesn\'t exist"', async () => {
    // A directory the strict file provider refuses: nothing is loaded until the file is fixed.
    await pair.startMailroster('mailboxes: 5\n');
    const r = await pair.dv.doveadm('user', 'alice@example.com');
    assert.equal(r.code, 75, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /doesn't exist/);
    assert.equal((await pair.dv.doveadm('auth', 'test', 'alice@example.com', 'secret')).code, 75);
    assert.match(await lmtpRcpt(pair.dv.lmtpSocket, 'nobody@example.com'), /^4\d\d /, 'not even an unknown user bounces');
    await waitForLog(pair.dv, /mailroster: HTTP 503 directory not loaded yet/);
  });

  test('once the directory loads, the same Dovecot answers: found, unknown (67), right and wrong password', async () => {
    writeFileSync(pair.svc!.file, AUTH_TEST_YAML);
    await pair.svc!.service.sync.syncNow();
    assert.deepEqual(await codes(pair), { userdb: 0, passdb: 0 });
    assert.deepEqual(await codes(pair, 'nobody@example.com'), { userdb: 67, passdb: 77 });
    assert.equal((await pair.dv.doveadm('auth', 'test', 'alice@example.com', 'wrong')).code, 77);
    assert.match(await lmtpRcpt(pair.dv.lmtpSocket, 'alice+tag@example.com'), /^250 /);
    assert.match(await lmtpRcpt(pair.dv.lmtpSocket, 'nobody@example.com'), /^550 /);
  });

  test('mailroster stopped again: rc 75 and 4xx; started again on the same port: answers at once', async () => {
    await pair.stopMailroster();
    assert.deepEqual(await codes(pair), { userdb: 75, passdb: 75 });
    assert.match(await lmtpRcpt(pair.dv.lmtpSocket, 'alice@example.com'), /^4\d\d /);
    await pair.startMailroster(AUTH_TEST_YAML);
    assert.deepEqual(await codes(pair), { userdb: 0, passdb: 0 });
    assert.match(await lmtpRcpt(pair.dv.lmtpSocket, 'alice@example.com'), /^250 /);
  });
});

describe('Dovecot 2.4 presenting the wrong secret', { skip: missingDovecot24() }, () => {
  const other = tempDir('mailroster-secret-');
  let pair: Dovecot24Pair;

  before(async () => {
    const wrong = join(other.path, 'wrong');
    writeFileSync(wrong, 'not-the-secret-mailroster-has\n');
    pair = await startDovecot24Pair({ yaml: AUTH_TEST_YAML, lmtp: true, dovecotConfigEnv: { MAILROSTER_AUTH_SECRET_FILE: wrong } });
  });
  after(async () => {
    await pair?.stop();
    other.remove();
  });

  test('every lookup fails temporarily (rc 75, LMTP 4xx); mailroster logs the refusal, not the secret', async () => {
    assert.deepEqual(await codes(pair), { userdb: 75, passdb: 75 });
    assert.match(await lmtpRcpt(pair.dv.lmtpSocket, 'alice@example.com'), /^4\d\d /);
    await waitForLog(pair.dv, /mailroster: HTTP 401 missing or wrong secret/);
    const logs = pair.svc!.logs();
    assert.ok(logs.some((l) => l.msg === 'auth request without the right secret; refused'));
    assert.ok(!JSON.stringify(logs).includes('not-the-secret'));
  });
});
