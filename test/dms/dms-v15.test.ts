import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingBinaries } from '../helpers/binaries.js';
import { parseFields } from '../helpers/dovecot-instance.js';
import { authMechanisms } from '../helpers/dovecot-auth-client.js';
import { startDmsDovecot23, type DmsDovecot } from '../helpers/dms-dovecot23.js';
import { applyDmsPostfixMain, DMS_TEST_DIRECTORY as YAML, DMS_TEST_USERDB as USERDB, dmsFixture, dmsPostfixSettings, dmsSubmission, simulateChangeDetector, type DmsFixture } from '../helpers/dms-fixture.js';
import { freePort, waitFor } from '../helpers/net.js';
import { startPostfix, type PostfixInstance } from '../helpers/postfix-instance.js';
import { startFileService } from '../helpers/service.js';
import { rcptCodes, smtpSession } from '../helpers/smtp-client.js';

const run = promisify(execFile);


/** On submission: log in, MAIL FROM `from`, RCPT to bob; the RCPT reply (where Postfix checks the sender). */
async function sendAs(port: number, login: [string, string], from: string): Promise<string> {
  const s = await smtpSession(port);
  try {
    await s.command('EHLO client.test');
    const auth = await s.command(`AUTH PLAIN ${Buffer.from(`\0${login[0]}\0${login[1]}`).toString('base64')}`);
    if (auth.code !== 235) return auth.text;
    await s.command(`MAIL FROM:<${from}>`);
    return (await s.command('RCPT TO:<bob@example.com>')).text;
  } finally {
    await s.close();
  }
}

describe('docker-mailserver v15 (Postfix 3.7 + Dovecot 2.3) with the generated overrides', { skip: missingBinaries('postfix', 'postconf', 'dovecot', 'doveadm', 'lmtp') }, () => {
  let fx: DmsFixture;
  let svc: Awaited<ReturnType<typeof startFileService>>;
  let dv: DmsDovecot;
  let pf: PostfixInstance;
  let submission: number;
  // no-penalty: Dovecot's auth penalty would otherwise delay each failed attempt a little more.
  const authTest = (user: string, password: string) => dv.doveadm('auth', 'test', '-x', 'no-penalty', user, password);

  before(async () => {
    fx = dmsFixture('15');
    // mailroster with the container recipe's sockets (0666 on the shared volume).
    svc = await startFileService(YAML, fx.mailrosterConfig);
    dv = await startDmsDovecot23(fx, USERDB);
    submission = await freePort();
    pf = await startPostfix({
      socketmap: 'inet:127.0.0.1:9', // replaced by postfix-main.cf
      main: dmsPostfixSettings(fx, dv.lmtpSocket, dv.saslSocket),
      masterExtra: dmsSubmission(submission),
      beforeStart: (configDir) => applyDmsPostfixMain(configDir, fx.file('postfix-main.cf')),
    });
  });
  after(async () => {
    await pf?.stop();
    await dv?.stop();
    await svc?.stop();
    fx?.remove();
  });

  test('after DMS applies postfix-main.cf (append + postconf -n), postconf shows mailroster\'s four maps', async () => {
    const sm = `socketmap:unix:${fx.layout.socketDir}/socketmap.sock`;
    const { stdout } = await run('postconf', ['-c', pf.configDir, '-x', 'virtual_mailbox_domains', 'virtual_mailbox_maps', 'virtual_alias_maps', 'smtpd_sender_login_maps', 'virtual_alias_domains']);
    assert.deepEqual(stdout.trim().split('\n'), [
      `virtual_mailbox_domains = ${sm}:domain`, `virtual_mailbox_maps = ${sm}:mailbox`, `virtual_alias_maps = ${sm}:alias`,
      `smtpd_sender_login_maps = ${sm}:senders`, 'virtual_alias_domains =',
    ]);
    // postconf -n kept the user-defined parameter: it is referenced by the maps.
    assert.match(readFileSync(join(pf.configDir, 'main.cf'), 'utf8'), new RegExp(`^mailroster = ${sm}$`, 'm'));
  });

  test('DMS\'s passwd-file is out, also after the change detector re-enables its include (before any client holds an auth connection across the reload)', async () => {
    const conf = (await run('doveconf', ['-c', dv.configFile, '-n'])).stdout;
    assert.doesNotMatch(conf, /passwd-file/);
    assert.equal((await authTest('placeholder@placeholder.invalid', 'placeholder-pw')).code, 77);
    simulateChangeDetector(fx, `${USERDB}legacy@example.com:{PLAIN}legacy-pw:5000:5000::/nonexistent::\n`);
    assert.equal((await dv.doveadm('reload')).code, 0);
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch((await run('doveconf', ['-c', dv.configFile, '-n'])).stdout, /passwd-file/);
    const legacy = await authTest('legacy@example.com', 'legacy-pw');
    assert.notEqual(legacy.code, 0);
    const a = await authTest('alice@example.com', 'alice-pw');
    assert.equal(a.code, 0);
  });

  test('RCPT: a user who never logged in 250, user+tag 250, alias and list 250, unknown 550, placeholder and DMS alias refused', async () => {
    assert.equal(existsSync(join(fx.layout.mailRoot, 'example.com', 'bob')), false, 'bob never logged in or got mail');
    assert.deepEqual(await rcptCodes(pf.smtpPort, [
      'bob@example.com', 'bob+tag@example.com', 'postmaster@example.com', 'team@example.com',
      'nobody@example.com', 'info@example.com', 'placeholder@placeholder.invalid',
    ]), {
      'bob@example.com': '250 2.1.5', 'bob+tag@example.com': '250 2.1.5', 'postmaster@example.com': '250 2.1.5',
      'team@example.com': '250 2.1.5', 'nobody@example.com': '550 5.1.1',
      'info@example.com': '550 5.1.1', // only in DMS's postfix-virtual.cf: not kept without --keep-dms-aliases
      'placeholder@placeholder.invalid': '554 5.7.1',
    });
  });

  test('mail to a user who never logged in is delivered over DMS\'s LMTP socket (0660, group postfix) into DMS\'s layout', async () => {
    const s = await smtpSession(pf.smtpPort);
    await s.command('EHLO client.test');
    await s.command('MAIL FROM:<sender@remote.test>');
    assert.equal((await s.command('RCPT TO:<bob+news@example.com>')).code, 250);
    await s.command('DATA');
    assert.equal((await s.command('Subject: dms-v15\r\n\r\nhello bob\r\n.')).code, 250);
    await s.close();
    const newDir = join(fx.layout.mailRoot, 'example.com', 'bob', 'new');
    await waitFor(() => existsSync(newDir) && readdirSync(newDir).length === 1, 30_000, `delivery into ${newDir}`);
    assert.match(readFileSync(join(newDir, readdirSync(newDir)[0]!), 'utf8'), /^Subject: dms-v15$/m);
  });

  test('SPOOF_PROTECTION: a logged-in user sends as herself, her alias and +tag, never as another user', async () => {
    const alice: [string, string] = ['alice@example.com', 'alice-pw'];
    assert.match(await sendAs(submission, alice, 'alice@example.com'), /^250 /);
    assert.match(await sendAs(submission, alice, 'postmaster@example.com'), /^250 /);
    assert.match(await sendAs(submission, alice, 'alice+lists@example.com'), /^250 /);
    assert.match(await sendAs(submission, alice, 'bob@example.com'), /^553 5\.7\.1 .*not owned by user alice@example\.com/);
    assert.match(await sendAs(submission, alice, 'team@example.com'), /^553 5\.7\.1 /, 'only bob may send as the list');
    assert.match(await sendAs(submission, ['bob@example.com', 'bob-pw'], 'team@example.com'), /^250 /);
  });

  test('doveadm user and auth test go through mailroster: DMS\'s uid/gid/home, quota from the directory', async () => {
    const u = await dv.doveadm('user', 'Alice@Example.com');
    assert.equal(u.code, 0, u.stderr);
    const f = parseFields(u.stdout);
    assert.deepEqual(
      { user: f.user, uid: f.uid, gid: f.gid, home: f.home, quota: f.quota_rule },
      { user: 'alice@example.com', uid: '5000', gid: '5000', home: `${fx.layout.mailRoot}/example.com/alice/home/`, quota: '*:storage=1G' },
    );
    assert.equal((await authTest('bob@example.com', 'bob-pw')).code, 0);
    assert.equal((await authTest('bob@example.com', 'wrong')).code, 77);
    assert.equal((await dv.doveadm('user', 'nobody@example.com')).code, 67);
  });

  test('ENABLE_OAUTH2\'s mechanisms stay enabled next to mailroster\'s password passdb', async () => {
    assert.deepEqual(await authMechanisms(dv.authClientSocket), ['LOGIN', 'OAUTHBEARER', 'PLAIN', 'XOAUTH2']);
    assert.equal((await run('doveconf', ['-c', dv.configFile, '-h', 'auth_mechanisms'])).stdout.trim(), 'plain login oauthbearer xoauth2');
  });
});

describe('dms-config --keep-dms-aliases: DMS\'s postfix-virtual.cf first, then mailroster', { skip: missingBinaries('postfix', 'postconf') }, () => {
  let fx: DmsFixture;
  let svc: Awaited<ReturnType<typeof startFileService>>;
  let pf: PostfixInstance;
  before(async () => {
    fx = dmsFixture('15', { keepDmsAliases: true });
    svc = await startFileService(YAML, fx.mailrosterConfig);
    pf = await startPostfix({
      socketmap: 'inet:127.0.0.1:9',
      main: dmsPostfixSettings(fx, join(fx.root, 'no-lmtp'), join(fx.root, 'no-sasl')),
      beforeStart: (configDir) => applyDmsPostfixMain(configDir, fx.file('postfix-main.cf')),
    });
  });
  after(async () => {
    await pf?.stop();
    await svc?.stop();
    fx?.remove();
  });

  test('a DMS alias, a mailroster alias and a mailbox are accepted; unknown users still 550', async () => {
    const { stdout } = await run('postconf', ['-c', pf.configDir, '-xh', 'virtual_alias_maps']);
    assert.equal(stdout.trim(), `texthash:${fx.layout.postfixVirtual}, socketmap:unix:${fx.layout.socketDir}/socketmap.sock:alias`);
    assert.deepEqual(await rcptCodes(pf.smtpPort, ['info@example.com', 'postmaster@example.com', 'bob@example.com', 'nobody@example.com']), {
      'info@example.com': '250 2.1.5', 'postmaster@example.com': '250 2.1.5', 'bob@example.com': '250 2.1.5', 'nobody@example.com': '550 5.1.1',
    });
  });
});
