import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { missingBinaries } from '../helpers/binaries.js';
import { saslSocketPath, startDovecot, VMAIL_UID, type DovecotInstance } from '../helpers/dovecot-instance.js';
import { waitFor } from '../helpers/net.js';
import { startPostfix, type PostfixInstance } from '../helpers/postfix-instance.js';
import { startFileService } from '../helpers/service.js';
import { delivered, E2E_YAML, sendMail, senderCheck, smtpAuth } from '../helpers/mail-flow.js';
import { tempDir } from '../helpers/temp.js';

const YAML = E2E_YAML;

describe('Postfix -> LMTP -> Dovecot, both looking users up through mailroster', { skip: missingBinaries('doveadm', 'dovecot', 'lmtp', 'postfix') }, () => {
  const sock = tempDir('mailroster-e2e-');
  const dictSocket = join(sock.path, 'dict.sock');
  let dv: DovecotInstance;
  let svc: Awaited<ReturnType<typeof startFileService>>;
  let pf: PostfixInstance;
  const maildir = (user: string): string => join(dv.vmail, 'example.com', user, 'Maildir');

  before(async () => {
    dv = await startDovecot({ dictSocket, lmtp: true });
    svc = await startFileService(YAML, {
      socketmap: { listen: ['127.0.0.1:0'] },
      dict: {
        listen: [dictSocket], userdb: { uid: String(VMAIL_UID), gid: String(VMAIL_UID), home: `${dv.vmail}/%d/%n`, mail: 'maildir:~/Maildir' },
      },
    });
    const sm = svc.service.socketmap.addresses[0]!;
    assert.equal(sm.kind, 'tcp');
    pf = await startPostfix({
      socketmap: `inet:127.0.0.1:${sm.kind === 'tcp' ? sm.port : 0}`,
      main: {
        virtual_transport: `lmtp:unix:${dv.lmtpSocket}`,
        smtpd_sasl_auth_enable: 'yes', smtpd_sasl_type: 'dovecot', smtpd_sasl_path: saslSocketPath(dv),
        // The `senders` map at work: who may use which MAIL FROM (checked at RCPT time).
        smtpd_sender_restrictions: 'reject_sender_login_mismatch',
      },
    });
  });
  after(async () => {
    await pf?.stop();
    await svc?.stop();
    await dv?.stop();
    sock.remove();
  });

  test('mail to an alias lands in the Maildir of a mailbox that never logged in', async () => {
    assert.equal(existsSync(join(dv.vmail, 'example.com', 'alice')), false, 'alice has no home yet');
    const r = await sendMail(pf.smtpPort, 'postmaster@example.com', 'token-alias-1');
    assert.match(r.rcpt, /^250 /);
    assert.match(r.done!, /^250 /);
    await waitFor(() => delivered(maildir('alice'), 'token-alias-1').length > 0, 30_000, 'delivery to alice');
    const [msg] = delivered(maildir('alice'), 'token-alias-1');
    assert.match(msg!, /^Delivered-To: alice@example\.com$/m);
  });

  test('mail to user+tag@ lands in that user\'s Maildir', async () => {
    const r = await sendMail(pf.smtpPort, 'bob+lists@example.com', 'token-tag-1');
    assert.match(r.done!, /^250 /);
    await waitFor(() => delivered(maildir('bob'), 'token-tag-1').length === 1, 30_000, 'delivery to bob');
    assert.deepEqual(delivered(maildir('alice'), 'token-tag-1'), []);
  });

  test('an unknown user is rejected at RCPT', async () => {
    const r = await sendMail(pf.smtpPort, 'nobody@example.com', 'token-unknown');
    assert.match(r.rcpt, /^550 5\.1\.1 /);
  });

  test('Postfix SASL authenticates through Dovecot\'s dict passdb: address, alias, app password, wrong password; disabled refused by password and app password', async () => {
    assert.match(await smtpAuth(pf.smtpPort, 'alice@example.com', 'secret'), /^235 /);
    assert.match(await smtpAuth(pf.smtpPort, 'Postmaster@example.com', 'secret'), /^235 /);
    assert.match(await smtpAuth(pf.smtpPort, 'alice@example.com', 'wrong'), /^535 /);
    assert.match(await smtpAuth(pf.smtpPort, 'alice@example.com', 'alice-app-key'), /^235 /, 'app password');
    assert.match(await smtpAuth(pf.smtpPort, 'dave@example.com', 'dave-pw'), /^535 /, 'disabled, right password: refused by default');
    assert.match(await smtpAuth(pf.smtpPort, 'dave@example.com', 'dave-app-key'), /^535 /, 'disabled, right app password: refused by default');
  });

  test('smtpd_sender_login_maps: a user sends as her address and aliases, not as someone else; strangers must log in', async () => {
    const alice: [string, string] = ['alice@example.com', 'secret'];
    assert.match(await senderCheck(pf.smtpPort, 'alice@example.com', alice), /^250 /);
    assert.match(await senderCheck(pf.smtpPort, 'postmaster@example.com', alice), /^250 /);
    assert.match(await senderCheck(pf.smtpPort, 'alice+news@example.com', alice), /^250 /);
    assert.match(await senderCheck(pf.smtpPort, 'bob@example.com', alice), /^553 5\.7\.1 .*not owned by user alice@example\.com/);
    assert.match(await senderCheck(pf.smtpPort, 'alice@example.com'), /^553 5\.7\.1 .*not logged in/);
  });

  test('with the dict side down, Dovecot defers (4xx) and Postfix delivers once it is back', async () => {
    await svc.service.dict.close();
    const r = await sendMail(pf.smtpPort, 'carol@example.com', 'token-deferred');
    assert.match(r.done!, /^250 /, 'Postfix accepted it: its own lookups still work');
    await waitFor(() => /to=<carol@example\.com>.*status=deferred \(host .* said: 4\d\d /.test(pf.maillog()), 30_000, 'an LMTP deferral');
    await svc.service.dict.start();
    await waitFor(() => delivered(maildir('carol'), 'token-deferred').length === 1, 30_000, 'delivery after the retry');
    assert.doesNotMatch(pf.maillog(), /status=bounced/);
  });

  test('with mailroster stopped, mail is deferred (4xx at RCPT), never bounced', async () => {
    await svc.stop();
    const r = await sendMail(pf.smtpPort, 'alice+stopped@example.com', 'token-stopped');
    assert.match(r.rcpt, /^4\d\d /);
    assert.doesNotMatch(pf.maillog(), /status=bounced/);
  });
});
