import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createService, type Service } from '../../src/index.js';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import { saslAuth, xoauth2Response } from '../helpers/dovecot-auth-client.js';
import { VMAIL_UID } from '../helpers/dovecot-instance.js';
import { missingDovecot24, startDovecot24, type Dovecot24Instance } from '../helpers/dovecot24-instance.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import { freePort } from '../helpers/net.js';
import { testIdpOptions } from '../helpers/provider-service.js';
import { captureLogger, testConfig } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

describe('Dovecot 2.4 sign-in: Authentik app passwords, several hashes, OAuth2 (files from dovecot-config --out --oauth2)', { skip: missingDovecot24() }, () => {
  const tmp = tempDir('mailroster-signin24-');
  let ak: FakeAuthentik;
  let dv: Dovecot24Instance;
  let service: Service;
  let logs: () => Record<string, unknown>[];
  let clockAhead = 0;
  const keys: Record<string, string> = {};

  before(async () => {
    ak = await new FakeAuthentik().start();
    const alice = ak.addUser({ username: 'alice', attributes: { mailPasswordHash: ['{PLAIN}main-pw', '{PLAIN}old-pw'] } });
    const bob = ak.addUser({ username: 'bob' });
    const dave = ak.addUser({ username: 'dave', attributes: { mailPasswordHash: '{PLAIN}dave-pw', mailEnabled: false } });
    keys.phone = ak.tokens.add(alice.pk, 'alice-phone').key;
    keys.laptop = ak.tokens.add(alice.pk, 'alice-laptop').key;
    keys.tablet = ak.tokens.add(alice.pk, 'alice-tablet', { expiring: true, expires: new Date(Date.now() + 3600_000).toISOString() }).key;
    keys.bob = ak.tokens.add(bob.pk, 'bob-phone').key;
    keys.dave = ak.tokens.add(dave.pk, 'dave-phone').key;
    ak.tokens.accessTokens.set('at-alice', 'alice@example.com');
    ak.tokens.accessTokens.set('at-dave', 'dave@example.com');
    const port = await freePort();
    const secretFile = join(tmp.path, 'auth-secret');
    writeFileSync(secretFile, 'test-secret-0123456789abcdef\n');
    const clientSecretFile = join(tmp.path, 'client-secret');
    writeFileSync(clientSecretFile, `${ak.tokens.oauthClient.secret}\n`);
    dv = await startDovecot24({
      mailrosterEnv: {
        MAILROSTER_AUTH_LISTEN: `127.0.0.1:${port}`, MAILROSTER_AUTH_SECRET_FILE: secretFile,
        MAILROSTER_PROVIDER_TYPE: 'authentik', MAILROSTER_PROVIDER_AUTHENTIK_URL: ak.url, MAILROSTER_PROVIDER_AUTHENTIK_TOKEN: 'unused',
        MAILROSTER_OAUTH2_CLIENT_ID: ak.tokens.oauthClient.id, MAILROSTER_OAUTH2_CLIENT_SECRET_FILE: clientSecretFile,
      },
      mailrosterArgs: ['--oauth2'],
    });
    const captured = captureLogger();
    logs = captured.lines;
    const provider = new AuthentikProvider({ ...testIdpOptions({}, captured.logger), url: ak.url, token: ak.token });
    service = createService(testConfig({
      sync: { intervalSeconds: 0 },
      auth: { listen: `127.0.0.1:${port}`, secretFile },
      dict: { userdb: { uid: String(VMAIL_UID), gid: String(VMAIL_UID), home: `${dv.vmail}/%d/%n`, mail: 'maildir:~/Maildir' } },
    }), { logger: captured.logger, provider, now: () => Date.now() + clockAhead });
    await service.start();
    assert.equal((await service.sync.syncNow()).status, 'applied');
  });
  after(async () => {
    await service?.stop();
    await dv?.stop();
    await ak?.stop();
    tmp.remove();
  });

  const auth = async (user: string, password: string) => (await dv.doveadm('auth', 'test', user, password)).code;

  test('both app passwords and both hashes of the hash attribute sign in; a wrong password is 77', async () => {
    for (const pw of [keys.phone!, keys.laptop!, 'main-pw', 'old-pw']) assert.equal(await auth('alice@example.com', pw), 0, dv.log().slice(-1500));
    assert.equal(await auth('alice@example.com', 'wrong'), 77);
  });

  test("another user's app password is refused (77)", async () => {
    assert.equal(await auth('alice@example.com', keys.bob!), 77);
    assert.equal(await auth('bob@example.com', keys.bob!), 0);
  });

  test('an app password stops working when it expires, before any new sync', async () => {
    assert.equal(await auth('alice@example.com', keys.tablet!), 0);
    clockAhead = 3600_000;
    try {
      assert.equal(await auth('alice@example.com', keys.tablet!), 77);
    } finally {
      clockAhead = 0;
    }
  });

  test('a disabled mailbox is refused by password and by app password', async () => {
    assert.notEqual(await auth('dave@example.com', 'dave-pw'), 0);
    assert.notEqual(await auth('dave@example.com', keys.dave!), 0);
    assert.equal((await dv.doveadm('user', 'dave@example.com')).code, 67, 'and the userdb does not know it (a token login finds no user)');
  });

  test('OAuth2: an active token signs in with XOAUTH2 beside PLAIN; an unknown one is refused', async () => {
    const ok = await saslAuth(dv.saslSocket, 'XOAUTH2', xoauth2Response('alice@example.com', 'at-alice'));
    assert.ok(ok.ok, `${ok.line}\n${JSON.stringify(ak.seen(/introspect/).at(-1))}\n${dv.log().slice(-2000)}`);
    assert.equal((await saslAuth(dv.saslSocket, 'XOAUTH2', xoauth2Response('alice@example.com', 'at-nope'))).ok, false);
    assert.ok((await saslAuth(dv.saslSocket, 'PLAIN', `\0alice@example.com\0${keys.phone}`)).ok, 'PLAIN still offered');
  });

  test('no key appears in mailroster\'s log or Dovecot\'s', () => {
    const mine = JSON.stringify(logs());
    for (const [name, key] of Object.entries(keys)) {
      assert.ok(!mine.includes(key), `${name} in mailroster's log`);
      assert.ok(!dv.log().includes(key), `${name} in Dovecot's log`);
    }
  });
});
