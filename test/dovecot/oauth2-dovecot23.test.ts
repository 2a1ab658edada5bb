import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { oauth2Settings } from '../../src/dovecot-oauth2.js';
import { createService, type Service } from '../../src/index.js';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import { missingBinaries } from '../helpers/binaries.js';
import { oauthbearerResponse, saslAuth, xoauth2Response } from '../helpers/dovecot-auth-client.js';
import { saslSocketPath, startDovecot, VMAIL_UID, type DovecotInstance } from '../helpers/dovecot-instance.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import { testIdpOptions } from '../helpers/provider-service.js';
import { captureLogger, testConfig } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

describe('Dovecot 2.3 OAuth2 bearer logins (dovecot-config --oauth2) against a fake Authentik', { skip: missingBinaries('doveadm', 'dovecot') }, () => {
  const tmp = tempDir('mailroster-oauth2-');
  const dictSocket = join(tmp.path, 'dict.sock');
  let ak: FakeAuthentik;
  let dv: DovecotInstance;
  let service: Service;

  before(async () => {
    ak = await new FakeAuthentik().start();
    ak.addUser({ username: 'alice', attributes: { mailPasswordHash: '{PLAIN}alice-pw' } });
    ak.addUser({ username: 'dave', is_active: false });
    ak.addUser({ username: 'nomailbox', email: 'x@elsewhere.org' });
    ak.tokens.accessTokens.set('at-alice', 'alice@example.com');
    ak.tokens.accessTokens.set('at-dave', 'dave@example.com');
    ak.tokens.accessTokens.set('at-stranger', 'x@elsewhere.org');
    const secretFile = join(tmp.path, 'client-secret');
    writeFileSync(secretFile, `${ak.tokens.oauthClient.secret}\n`);
    // What `dovecot-config --oauth2` resolves for provider.type authentik.
    const oauth2Env = {
      MAILROSTER_PROVIDER_TYPE: 'authentik', MAILROSTER_PROVIDER_AUTHENTIK_URL: `${ak.url}/`, MAILROSTER_PROVIDER_AUTHENTIK_TOKEN: 'x',
      MAILROSTER_OAUTH2_CLIENT_ID: ak.tokens.oauthClient.id, MAILROSTER_OAUTH2_CLIENT_SECRET_FILE: secretFile,
    };
    assert.equal(oauth2Settings(loadConfig({ env: oauth2Env }).config).introspectionUrl, `${ak.url}/application/o/introspect/`);
    dv = await startDovecot({ dictSocket, oauth2Env });
    const { logger } = captureLogger();
    const provider = new AuthentikProvider({ ...testIdpOptions({}, logger), url: ak.url, token: ak.token });
    service = createService(testConfig({
      sync: { intervalSeconds: 0 },
      dict: { listen: [dictSocket], userdb: { uid: String(VMAIL_UID), gid: String(VMAIL_UID), home: `${dv.vmail}/%d/%n` } },
    }), { logger, provider });
    await service.start();
    await service.sync.syncNow();
  });
  after(async () => {
    if (process.env.KEEP_LOG) console.log(dv?.log());
    await service?.stop();
    await dv?.stop();
    await ak?.stop();
    tmp.remove();
  });

  const sasl = (mech: string, resp: string) => saslAuth(saslSocketPath(dv), mech, resp);

  test('an active token of a provider user signs in with XOAUTH2 and OAUTHBEARER', async () => {
    const x = await sasl('XOAUTH2', xoauth2Response('alice@example.com', 'at-alice'));
    assert.ok(x.ok, x.line);
    assert.match(x.line, /\tuser=alice@example\.com/);
    const o = await sasl('OAUTHBEARER', oauthbearerResponse('alice@example.com', 'at-alice'));
    assert.ok(o.ok, o.line);
  });

  test('an inactive or unknown token is refused, and so is a token of another user', async () => {
    assert.equal((await sasl('XOAUTH2', xoauth2Response('alice@example.com', 'at-unknown'))).ok, false);
    ak.tokens.accessTokens.delete('at-alice');
    try {
      assert.equal((await sasl('XOAUTH2', xoauth2Response('alice@example.com', 'at-alice'))).ok, false, 'revoked: introspection says inactive');
    } finally {
      ak.tokens.accessTokens.set('at-alice', 'alice@example.com');
    }
    assert.equal((await sasl('XOAUTH2', xoauth2Response('alice@example.com', 'at-dave'))).ok, false, "dave's token is not alice's");
  });

  test('a disabled mailbox or a user without a mailbox is refused before the token is checked', async () => {
    const before = ak.seen(/introspect/).length;
    assert.equal((await sasl('XOAUTH2', xoauth2Response('dave@example.com', 'at-dave'))).ok, false);
    assert.equal((await sasl('XOAUTH2', xoauth2Response('x@elsewhere.org', 'at-stranger'))).ok, false);
    assert.equal(ak.seen(/introspect/).length, before, 'no introspection for them');
  });

  test('password logins still work beside OAuth2 and never reach the oauth2 passdb', async () => {
    const oauth2Lines = () => dv.log().split('\n').filter((l) => /oauth2\(/.test(l)).length;
    const before = oauth2Lines();
    assert.equal((await dv.doveadm('auth', 'test', 'alice@example.com', 'alice-pw')).code, 0);
    const plain = await sasl('PLAIN', '\0alice@example.com\0alice-pw');
    assert.ok(plain.ok, plain.line);
    assert.equal((await sasl('PLAIN', '\0alice@example.com\0wrong')).ok, false);
    assert.equal(oauth2Lines(), before, 'no oauth2 passdb log line for password logins (Fail2Ban, docker-mailserver #3812)');
    assert.equal((await dv.doveadm('auth', 'lookup', 'alice@example.com')).code, 0, 'lookups without authentication (mechanism none) still work');
  });

  test('a user who never logged in is found by the userdb after an OAuth2 login', async () => {
    const r = await dv.doveadm('user', 'alice@example.com');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`home\\s+${dv.vmail}/example\\.com/alice`));
  });
});
