import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProviderError } from '../../src/providers/provider-error.js';
import type { Fault } from '../helpers/fake-idp.js';
import { IDP_KINDS } from '../helpers/idp-kinds.js';
import { answer, startProviderService } from '../helpers/provider-service.js';

/** Every failure: the sync fails whole and the last good directory keeps answering. */
const FAILURES: { name: string; fault: Fault; code: string; message?: RegExp; http?: Record<string, unknown> }[] = [
  { name: 'a 500 that outlasts the retries', fault: { status: 500, body: '<html>oops</html>' }, code: 'PROVIDER_HTTP', message: /HTTP 500/ },
  { name: 'garbage instead of JSON', fault: { garbage: true }, code: 'PROVIDER_BAD_RESPONSE', message: /not JSON/ },
  { name: 'a JSON body of the wrong shape', fault: { status: 200, body: '{"detail":"maintenance"}' }, code: 'PROVIDER_BAD_RESPONSE' },
  { name: 'a 403 (missing permission)', fault: { status: 403 }, code: 'PROVIDER_AUTH', message: /permission denied; .*(view_user|view-users)/ },
  { name: 'a hung response', fault: { hang: true }, code: 'PROVIDER_TIMEOUT', message: /no answer within 300 ms/, http: { timeoutMs: 300, retries: 1 } },
];

for (const [kind, make] of Object.entries(IDP_KINDS)) {
  describe(`${kind}: failures keep the previous directory`, () => {
    for (const f of FAILURES) {
      test(`${f.name} on the second user page fails the sync with ${f.code}`, async () => {
        const idp = await make();
        const provider = idp.provider(f.http && { http: f.http });
        const svc = await startProviderService(provider, 'alice@example.com');
        idp.addUser('zed');
        // Page 2 fails every time: a partial answer (page 1 with zed) must not be applied.
        idp.fake.fail(idp.usersPath, f.fault, Infinity, (req) => idp.isUsersPage(req, 1));
        await svc.service.sync.syncNow();
        assert.equal(answer(svc.service, 'mailbox', 'alice@example.com'), 'example.com/alice/');
        assert.equal(answer(svc.service, 'mailbox', 'fred@example.com'), 'example.com/fred/');
        assert.equal(answer(svc.service, 'mailbox', 'zed@example.com'), 'NOTFOUND', 'nothing of the failed sync applied');
        const err = await provider.fetchDirectory(AbortSignal.timeout(20_000)).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof ProviderError, String(err));
        assert.equal(err.code, f.code);
        if (f.message) assert.match(err.message, f.message);
        await svc.stop();
        await idp.stop();
      });
    }

    test('429 with Retry-After and a passing 503 are retried; the sync then succeeds', async () => {
      const idp = await make();
      const svc = await startProviderService(idp.provider(), 'alice@example.com');
      idp.addUser('zed');
      const before = idp.fake.seen(idp.usersPath).length;
      idp.fake.fail(idp.usersPath, { status: 429, headers: { 'retry-after': '1' } }, 1);
      idp.fake.fail(idp.usersPath, { status: 503 }, 1);
      await svc.service.sync.syncNow();
      assert.equal(answer(svc.service, 'mailbox', 'zed@example.com'), 'example.com/zed/');
      assert.ok(idp.fake.seen(idp.usersPath).length - before >= 6, 'the two failed attempts were repeated');
      await svc.stop();
      await idp.stop();
    });

    test('rejected credentials fail with PROVIDER_AUTH naming what to fix, and keep the directory', async () => {
      const idp = await make();
      const provider = idp.provider();
      const svc = await startProviderService(provider, 'alice@example.com');
      idp.breakCredentials();
      await svc.service.sync.syncNow();
      assert.equal(answer(svc.service, 'mailbox', 'alice@example.com'), 'example.com/alice/');
      const err = await provider.fetchDirectory(AbortSignal.timeout(20_000)).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ProviderError);
      assert.equal(err.code, 'PROVIDER_AUTH');
      assert.match(err.message, /provider\.(authentik\.token|keycloak\.clientId)/);
      assert.ok(!err.message.includes('for-tests'), 'no secret in the message');
      await svc.stop();
      await idp.stop();
    });

    test('a missing mailboxGroup fails with PROVIDER_CONFIG instead of emptying the directory', async () => {
      const idp = await make();
      const provider = idp.provider({ mapping: { mailboxGroup: 'no-such-group' } });
      const err = await provider.fetchDirectory(AbortSignal.timeout(20_000)).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ProviderError);
      assert.equal(err.code, 'PROVIDER_CONFIG');
      assert.match(err.message, /"no-such-group" does not exist/);
      await provider.close?.();
      await idp.stop();
    });
  });
}
