import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { missingBinaries } from '../helpers/binaries.js';
import { command, parseFields } from '../helpers/dovecot-instance.js';
import { DOVECOT24_ROOT, missingDovecot24 } from '../helpers/dovecot24-instance.js';
import { authMechanisms } from '../helpers/dovecot-auth-client.js';
import { startDmsDovecot24, type DmsDovecot24 } from '../helpers/dms-dovecot24.js';
import { applyDmsPostfixMain, DMS_TEST_DIRECTORY as YAML, DMS_TEST_USERDB as USERDB, dmsPostfixSettings } from '../helpers/dms-fixture.js';
import { freePort, waitFor } from '../helpers/net.js';
import { startPostfix, type PostfixInstance } from '../helpers/postfix-instance.js';
import { startFileService } from '../helpers/service.js';
import { smtpSession } from '../helpers/smtp-client.js';

describe('docker-mailserver edge (Dovecot 2.4.1) with the generated overrides', { skip: missingDovecot24() || missingBinaries('postfix', 'postconf') }, () => {
  let dms: DmsDovecot24;
  let svc: Awaited<ReturnType<typeof startFileService>>;
  let pf: PostfixInstance;
  const authTest = (user: string, password: string) => dms.dv.doveadm('auth', 'test', '-x', 'no-penalty', user, password);

  before(async () => {
    const authPort = await freePort();
    dms = await startDmsDovecot24(authPort, USERDB);
    svc = await startFileService(YAML, dms.fx.mailrosterConfig);
    pf = await startPostfix({
      socketmap: 'inet:127.0.0.1:9', // replaced by postfix-main.cf
      main: dmsPostfixSettings(dms.fx, dms.lmtpSocket, join(dms.dv.dir, 'no-sasl')),
      beforeStart: (configDir) => applyDmsPostfixMain(configDir, dms.fx.file('postfix-main.cf')),
    });
  });
  after(async () => {
    await pf?.stop();
    await svc?.stop();
    await dms?.dv.stop();
  });

  test('doveconf -n loads edge\'s layout with local.conf: mailroster\'s Lua passdb/userdb, DMS\'s oauth2 block, no passwd-file', async () => {
    const r = await command('chroot', [DOVECOT24_ROOT, 'doveconf', '-c', dms.dv.configFile, '-n']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^passdb lua \{$/m);
    assert.match(r.stdout, /^\s+mechanisms_filter = plain login$/m);
    assert.match(r.stdout, /^userdb lua \{$/m);
    assert.match(r.stdout, /^oauth2 \{$/m);
    assert.doesNotMatch(r.stdout, /passwd-file/);
    assert.equal((r.stdout.match(/^oauth2 \{$/gm) ?? []).length, 1);
  });

  test('the OAuth mechanisms stay enabled next to PLAIN and LOGIN', async () => {
    assert.deepEqual(await authMechanisms(dms.authClientSocket), ['LOGIN', 'OAUTHBEARER', 'PLAIN', 'XOAUTH2']);
  });

  test('password logins reach mailroster; the placeholder cannot log in', async () => {
    assert.equal((await authTest('alice@example.com', 'alice-pw')).code, 0);
    assert.equal((await authTest('Postmaster@example.com', 'alice-pw')).code, 0, 'an alias logs in as its mailbox');
    assert.equal((await authTest('bob@example.com', 'wrong')).code, 77);
    assert.equal((await authTest('placeholder@placeholder.invalid', 'placeholder-pw')).code, 77);
    const u = await dms.dv.doveadm('user', 'alice@example.com');
    assert.equal(u.code, 0, u.stderr);
    const f = parseFields(u.stdout);
    assert.deepEqual(
      { uid: f.uid, gid: f.gid, home: f.home, quota: f.quota_storage_size },
      { uid: '5000', gid: '5000', home: `${dms.fx.layout.mailRoot}/example.com/alice/home/`, quota: '1G' },
    );
  });

  test('Postfix delivers over LMTP through DMS\'s socket (0660, group postfix) to a user who never logged in', async () => {
    const st = statSync(dms.lmtpSocket);
    assert.equal(st.mode & 0o777, 0o660);
    const s = await smtpSession(pf.smtpPort);
    await s.command('EHLO client.test');
    await s.command('MAIL FROM:<sender@remote.test>');
    assert.match((await s.command('RCPT TO:<bob+news@example.com>')).text, /^250 /);
    await s.command('DATA');
    assert.equal((await s.command('Subject: dms-edge\r\n\r\nhello bob\r\n.')).code, 250);
    await s.close();
    const newDir = join(dms.fx.layout.mailRoot, 'example.com', 'bob', 'new');
    await waitFor(() => existsSync(newDir) && readdirSync(newDir).length === 1, 30_000, `delivery into ${newDir}`);
    assert.match(readFileSync(join(newDir, readdirSync(newDir)[0]!), 'utf8'), /^Subject: dms-edge$/m);
    // Dovecot may write the file a moment before Postfix logs the LMTP reply.
    await waitFor(() => /to=<bob\+news@example\.com>.*status=sent/.test(pf.maillog()), 10_000, 'Postfix to log the delivery');
  });
});
