import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeycloakProvider } from '../../src/providers/keycloak-provider.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import { FakeKeycloak } from '../helpers/fake-keycloak.js';
import { BASE_USERS, IDP_KINDS } from '../helpers/idp-kinds.js';
import { answer, startProviderService, testIdpOptions } from '../helpers/provider-service.js';

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const local = (addresses: string[]): string[] => addresses.map((a) => a.split('@')[0]!).sort();

for (const [kind, make] of Object.entries(IDP_KINDS)) {
  describe(`${kind}: offset paging while users change`, () => {
    test('a user added before the current offset mid-sync: nobody lost, nobody twice', async () => {
      const idp = await make();
      let added = false;
      // "aaron" sorts first, so every later page shifts by one and repeats a user.
      idp.onUsersPage((index) => { if (index === 1 && !added) { added = true; idp.addUser('aaron'); } });
      const provider = idp.provider();
      const data = await provider.fetchDirectory(signal());
      assert.deepEqual(local(data.mailboxes.map((m) => m.address)), ['aaron', ...BASE_USERS]);
      await provider.close?.();
      await idp.stop();
    });

    test('a user deleted before the current offset mid-sync: the shifted user is not lost', async () => {
      const idp = await make();
      let removed = false;
      // Deleting alice after page 2 would hide erin from a single pass (she shifts onto page 2).
      idp.onUsersPage((index) => { if (index === 2 && !removed) { removed = true; idp.removeUser('alice'); } });
      const provider = idp.provider();
      const data = await provider.fetchDirectory(signal());
      assert.deepEqual(local(data.mailboxes.map((m) => m.address)), BASE_USERS.filter((u) => u !== 'alice'));
      await provider.close?.();
      await idp.stop();
    });

    test('a listing that never settles fails with PROVIDER_INCONSISTENT; the previous directory stays', async () => {
      const idp = await make();
      const provider = idp.provider();
      // No retry of the failed sync during the direct read below: two readers that each add a
      // user per page would keep each other from ever reaching the end.
      const svc = await startProviderService(provider, 'alice@example.com', { sync: { intervalSeconds: 0, retryInitialSeconds: 3600, retryMaxSeconds: 3600 } });
      let n = 0;
      idp.onUsersPage(() => idp.addUser(`a${String(n++).padStart(3, '0')}`));
      await svc.service.sync.syncNow();
      assert.equal(answer(svc.service, 'mailbox', 'alice@example.com'), 'example.com/alice/');
      assert.equal(answer(svc.service, 'mailbox', 'a000@example.com'), 'NOTFOUND');
      const err = await provider.fetchDirectory(signal()).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ProviderError);
      assert.equal(err.code, 'PROVIDER_INCONSISTENT');
      await svc.stop();
      await idp.stop();
    });
  });
}

describe('keycloak: totals that count something else', () => {
  test('two quiet passes that agree are accepted even if /users/count includes service accounts', async () => {
    const kc = await new FakeKeycloak().start();
    for (const u of BASE_USERS) kc.addUser({ username: u });
    kc.addUser({ username: 'service-account-x', serviceAccountClientId: 'x' });
    kc.countServiceAccounts = true;
    const provider = new KeycloakProvider({ ...testIdpOptions(), url: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: kc.clientSecret });
    const data = await provider.fetchDirectory(signal());
    assert.deepEqual(local(data.mailboxes.map((m) => m.address)), BASE_USERS);
    await provider.close();
    await kc.stop();
  });

  test('a server that caps max below the page size asked for loses nobody', async () => {
    const kc = await new FakeKeycloak().start();
    for (const u of BASE_USERS) kc.addUser({ username: u });
    kc.maxPageCap = 1;
    const provider = new KeycloakProvider({ ...testIdpOptions(), url: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: kc.clientSecret });
    const data = await provider.fetchDirectory(signal());
    assert.deepEqual(local(data.mailboxes.map((m) => m.address)), BASE_USERS);
    await provider.close();
    await kc.stop();
  });
});
