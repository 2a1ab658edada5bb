import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeycloakProvider } from '../../src/providers/keycloak-provider.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import type { DirectoryChange } from '../../src/providers/provider.js';
import { FakeKeycloak, type KeycloakVersion } from '../helpers/fake-keycloak.js';
import { answer, startProviderService, testIdpOptions } from '../helpers/provider-service.js';

const signal = (): AbortSignal => AbortSignal.timeout(20_000);

async function realm(version: KeycloakVersion): Promise<FakeKeycloak> {
  const kc = await new FakeKeycloak(version).start();
  for (const u of ['alice', 'bob', 'carol']) kc.addUser({ username: u });
  kc.addGroup('staff', ['alice'], { mail: ['staff@example.com'] });
  kc.addGroup('sales', ['bob'], {}, 'staff');
  return kc;
}

function provider(kc: FakeKeycloak, o: Record<string, unknown> = {}): KeycloakProvider {
  return new KeycloakProvider({ ...testIdpOptions({ provider: o }), url: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: kc.clientSecret });
}

const mailboxes = (changes: DirectoryChange[]): string[] => changes.flatMap((c) => (c.op === 'upsert-mailbox' ? [`${c.mailbox.address}${c.mailbox.enabled === false ? ' disabled' : ''}`] : c.op === 'remove-mailbox' && c.address ? [`-${c.address}`] : [])).sort();

describe('Keycloak versions', () => {
  for (const version of [22, 25, 26] as const) {
    test(`${version}: groups (inline tree before 23, children since) and lists from subgroups`, async () => {
      const kc = await realm(version);
      const svc = await startProviderService(provider(kc), 'alice@example.com');
      assert.equal(answer(svc.service, 'alias', 'staff@example.com'), 'alice@example.com,bob@example.com');
      assert.equal(kc.seen(/\/children$/).length > 0, version >= 23, 'children read apart since 23');
      await svc.stop();
      await kc.stop();
    });

    test(`${version}: a temporary brute-force lock is not a disable; an admin disable is`, async () => {
      const kc = await realm(version);
      const p = provider(kc);
      await p.fetchDirectory(signal());
      const start = await p.fetchChanges(undefined, signal());
      kc.lock('alice', 'temporary');
      kc.update('alice', { firstName: 'Alice' });
      kc.update('bob', { enabled: false });
      const next = await p.fetchChanges(start.cursor, signal());
      assert.deepEqual(mailboxes(next.changes), ['alice@example.com', 'bob@example.com disabled'], 'GET /users/{id} says alice is disabled; attack detection says locked');
      // Where attack detection cannot be read, only the listing's enabled is trusted.
      kc.fail(/attack-detection/, { status: 403 }, Infinity);
      kc.update('alice', { firstName: 'Al' });
      assert.deepEqual(mailboxes((await p.fetchChanges(next.cursor, signal())).changes), ['alice@example.com']);
      await p.close();
      await kc.stop();
    });
  }

  test('a permanent lockout keeps the mailbox where Keycloak shows disabledReason (22); the 24+ profile hides it (documented)', async () => {
    for (const [version, expected] of [[22, undefined], [26, false]] as const) {
      const kc = await realm(version);
      kc.lock('carol', 'permanent');
      const data = await provider(kc).fetchDirectory(signal());
      assert.equal(data.mailboxes.find((m) => m.address === 'carol@example.com')?.enabled, expected, `Keycloak ${version}`);
      await kc.stop();
    }
  });

  test('25: day-only dateFrom read in a server time zone west of UTC still catches every change', async () => {
    const kc = await realm(25);
    kc.realmSettings.timeZoneOffsetMinutes = -600;
    kc.setClock(Date.parse('2026-01-01T04:00:00Z'));
    const p = provider(kc);
    await p.fetchDirectory(signal());
    const start = await p.fetchChanges(undefined, signal());
    kc.update('bob', { enabled: false });
    const next = await p.fetchChanges(start.cursor, signal());
    assert.deepEqual(mailboxes(next.changes), ['bob@example.com disabled']);
    assert.ok(kc.seen(/admin-events$/).some((r) => r.query.get('dateFrom') === '2025-12-31'), 'asks from the day before');
    assert.deepEqual((await p.fetchChanges(next.cursor, signal())).changes, []);
    await p.close();
    await kc.stop();
  });

  test('a failing optional probe turns its feed off and never fails the full sync', async () => {
    const kc = await realm(26);
    kc.fail(/events\/config$/, { status: 500 }, Infinity);
    const p = provider(kc);
    const svc = await startProviderService(p, 'alice@example.com');
    assert.equal(answer(svc.service, 'mailbox', 'alice@example.com'), 'example.com/alice/');
    const features = p.status().features;
    assert.equal(features.adminEvents?.on, false);
    assert.match(String(features.adminEvents?.reason), /reading the event settings failed/);
    await svc.stop();
    await kc.stop();
  });

  for (const version of [22, 25, 26] as const) test(`${version}: user events: self-service e-mail changes, verification, registration and first logins arrive with the next poll`, async () => {
    const kc = await realm(version);
    const p = provider(kc);
    await p.fetchDirectory(signal());
    const start = await p.fetchChanges(undefined, signal());
    kc.selfUpdate('alice', { email: 'alice.new@example.com' });
    kc.register('mallory', 'postmaster@example.com');
    kc.register('gh', 'gh@example.com', 'IDENTITY_PROVIDER_FIRST_LOGIN', true);
    const first = await p.fetchChanges(start.cursor, signal());
    assert.deepEqual(mailboxes(first.changes), ['-alice@example.com', 'gh@example.com'],
      'the unverified new address and the stranger get nothing; the verified first login gets a mailbox');
    kc.verifyEmail('alice');
    const second = await p.fetchChanges(first.cursor, signal());
    assert.deepEqual(mailboxes(second.changes), ['alice.new@example.com']);
    kc.verifyEmail('mallory');
    const third = await p.fetchChanges(second.cursor, signal());
    assert.deepEqual(third.changes.filter((c) => c.op === 'upsert-mailbox'), [], 'a role address never comes from a self-service field, verified or not');
    assert.ok(third.changes.length > 0, 'mallory was re-read');
    await p.close();
    await kc.stop();
  });

  test('22 (no user profile): users can change their e-mail in the account console, so unverified ones are skipped', async () => {
    const kc = await realm(22);
    kc.addUser({ username: 'dave', emailVerified: false });
    const p = provider(kc);
    assert.deepEqual((await p.fetchDirectory(signal())).mailboxes.map((m) => m.address.split('@')[0]).sort(), ['alice', 'bob', 'carol']);
    assert.match(String(p.status().features.selfServiceCheck?.reason), /no user profile \(before Keycloak 24\)/);
    await p.close();
    await kc.stop();
  });

  test('who sets e-mails: admin-only realms keep unverified users; self-service realms skip them; the setting relaxes it', async () => {
    const kc = await realm(26);
    kc.addUser({ username: 'dave', emailVerified: false });
    kc.addUser({ username: 'root', emailVerified: true });
    const emailAttr = kc.realmSettings.profile.attributes.find((a) => a.name === 'email')!;
    const count = async (o: Record<string, unknown> = {}): Promise<string[]> => (await provider(kc, o).fetchDirectory(signal())).mailboxes.map((m) => m.address.split('@')[0]!).sort();
    assert.deepEqual(await count(), ['alice', 'bob', 'carol'], 'users may edit their e-mail (Keycloak default): unverified dave and root@ skipped');
    emailAttr.permissions.edit = ['admin'];
    assert.deepEqual(await count(), ['alice', 'bob', 'carol', 'dave', 'root'], 'only admins set e-mails: no setup needed');
    kc.realmSettings.registrationAllowed = true;
    assert.deepEqual(await count(), ['alice', 'bob', 'carol']);
    assert.deepEqual(await count({ selfService: { acceptUnverified: true } }), ['alice', 'bob', 'carol', 'dave']);
    kc.realmSettings.registrationAllowed = false;
    kc.realmSettings.roles.delete('view-realm');
    assert.deepEqual(await count(), ['alice', 'bob', 'carol'], 'registration unknown without view-realm: assumed on');
    assert.deepEqual(await count({ selfService: { mode: 'admin-only' } }), ['alice', 'bob', 'carol', 'dave', 'root']);
    await kc.stop();
  });

  test('a service account without view-users sees no one, without error: the sync is refused', async () => {
    const kc = await realm(26);
    kc.realmSettings.roles.delete('view-users');
    const p = provider(kc);
    await assert.rejects(p.fetchDirectory(signal()), (err: ProviderError) => err.code === 'PROVIDER_AUTH' && /lacks the realm-management role view-users/.test(err.message));
    await p.close();
    await kc.stop();
  });
});
