import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { missingBinaries } from '../helpers/binaries.js';
import { missingDovecot24 } from '../helpers/dovecot24-instance.js';
import { startDovecot24Pair, type Dovecot24Pair } from '../helpers/dovecot24-pair.js';
import { delivered, E2E_YAML, sendMail, smtpAuth } from '../helpers/mail-flow.js';
import { waitFor } from '../helpers/net.js';
import { startPostfix, type PostfixInstance } from '../helpers/postfix-instance.js';

const YAML = E2E_YAML;

const skip = missingBinaries('postfix') || missingDovecot24();

describe('Postfix 3.7 -> LMTP -> Dovecot 2.4, both looking users up through mailroster', { skip }, () => {
  let pair: Dovecot24Pair;
  let pf: PostfixInstance;
  const maildir = (user: string): string => join(pair.dv.vmail, 'example.com', user, 'Maildir');

  before(async () => {
    // Dovecot 2.4's default auth_username_chars: LMTP strips +ext (recipient_delimiter) itself.
    pair = await startDovecot24Pair({ yaml: YAML, lmtp: true });
    const sm = pair.svc!.service.socketmap.addresses[0]!;
    assert.equal(sm.kind, 'tcp');
    pf = await startPostfix({
      socketmap: `inet:127.0.0.1:${sm.kind === 'tcp' ? sm.port : 0}`,
      main: {
        virtual_transport: `lmtp:unix:${pair.dv.lmtpSocket}`,
        smtpd_sasl_auth_enable: 'yes', smtpd_sasl_type: 'dovecot', smtpd_sasl_path: pair.dv.saslSocket,
      },
    });
  });
  after(async () => {
    await pf?.stop();
    await pair?.stop();
  });

  test('mail to an alias lands in the Maildir of a mailbox that never logged in', async () => {
    assert.equal(existsSync(join(pair.dv.vmail, 'example.com', 'alice')), false, 'alice has no home yet');
    const r = await sendMail(pf.smtpPort, 'postmaster@example.com', 'token24-alias');
    assert.match(r.rcpt, /^250 /);
    assert.match(r.done!, /^250 /);
    await waitFor(() => delivered(maildir('alice'), 'token24-alias').length > 0, 30_000, 'delivery to alice');
    assert.match(delivered(maildir('alice'), 'token24-alias')[0]!, /^Delivered-To: alice@example\.com$/m);
  });

  test("mail to user+tag@ lands in that user's Maildir", async () => {
    const r = await sendMail(pf.smtpPort, 'bob+lists@example.com', 'token24-tag');
    assert.match(r.done!, /^250 /);
    await waitFor(() => delivered(maildir('bob'), 'token24-tag').length === 1, 30_000, 'delivery to bob');
  });

  test('an unknown user is rejected at RCPT', async () => {
    assert.match((await sendMail(pf.smtpPort, 'nobody@example.com', 'token24-unknown')).rcpt, /^550 5\.1\.1 /);
  });

  test("Postfix SASL through Dovecot 2.4's Lua passdb: address, alias, app password, wrong password; disabled refused by password and app password", async () => {
    assert.match(await smtpAuth(pf.smtpPort, 'alice@example.com', 'secret'), /^235 /);
    assert.match(await smtpAuth(pf.smtpPort, 'Postmaster@example.com', 'secret'), /^235 /);
    assert.match(await smtpAuth(pf.smtpPort, 'alice@example.com', 'wrong'), /^535 /);
    // 2.4 refuses a disabled mailbox outright: Postfix SASL cannot slip past a nologin here.
    assert.match(await smtpAuth(pf.smtpPort, 'alice@example.com', 'alice-app-key'), /^235 /, 'app password');
    assert.match(await smtpAuth(pf.smtpPort, 'dave@example.com', 'dave-pw'), /^535 /, 'disabled, right password');
    assert.match(await smtpAuth(pf.smtpPort, 'dave@example.com', 'dave-app-key'), /^535 /, 'disabled, right app password');
  });

  test('with the auth endpoint down, Dovecot defers (4xx) and Postfix delivers once it is back', async () => {
    const auth = pair.svc!.service.auth!;
    const ep = auth.address!;
    await auth.close();
    const r = await sendMail(pf.smtpPort, 'carol@example.com', 'token24-deferred');
    assert.match(r.done!, /^250 /, 'Postfix accepted it: its own lookups still work');
    await waitFor(() => /to=<carol@example\.com>.*status=deferred \(host .* said: 4\d\d /.test(pf.maillog()), 60_000, 'an LMTP deferral');
    await auth.start(ep);
    await waitFor(() => delivered(maildir('carol'), 'token24-deferred').length === 1, 60_000, 'delivery after the retry');
    assert.doesNotMatch(pf.maillog(), /status=bounced/);
  });
});
