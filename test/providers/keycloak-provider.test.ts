import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeycloakProvider } from '../../src/providers/keycloak-provider.js';
import type { DirectoryChange } from '../../src/providers/provider.js';
import { FakeKeycloak, type KeycloakVersion } from '../helpers/fake-keycloak.js';
import { answer, startProviderService, testIdpOptions } from '../helpers/provider-service.js';

/** A realm covering the mapping rules with Keycloak's attribute shape (lists of strings). */
async function realm(version?: KeycloakVersion): Promise<FakeKeycloak> {
  const kc = await new FakeKeycloak(version).start();
  kc.addUser({ username: 'alice', attributes: { mailAlias: ['a.smith@example.com', 'sales@example.com'], mailQuota: ['2G'], mailPasswordHash: ['{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA'] } });
  kc.addUser({ username: 'bob' });
  kc.addUser({ username: 'carol', enabled: false });
  kc.addUser({ username: 'dave', attributes: { mailEnabled: ['no'] } });
  kc.addUser({ username: 'erin', email: 'erin@partner.example.net' });
  kc.addUser({ username: 'fred' });
  kc.addUser({ username: 'gina' });
  kc.addUser({ username: 'service-account-mailroster', serviceAccountClientId: 'mailroster' });
  kc.addGroup('staff', ['alice', 'bob', 'carol'], { mail: ['staff@example.com'] });
  kc.addGroup('sales', ['fred', 'gina'], {}, 'staff');
  kc.addGroup('mail-users', ['alice', 'bob', 'carol', 'dave', 'erin']);
  kc.addGroup('contractors', ['fred'], {}, 'mail-users');
  return kc;
}

function provider(kc: FakeKeycloak, mapping: Record<string, unknown> = {}): KeycloakProvider {
  return new KeycloakProvider({ ...testIdpOptions({ provider: { mapping } }), url: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: kc.clientSecret });
}

const signal = (): AbortSignal => AbortSignal.timeout(20_000);

describe('Keycloak provider', () => {
  test('socketmap answers from users (full representation), subgroups and paged members', async () => {
    const kc = await realm();
    const svc = await startProviderService(provider(kc), 'alice@example.com');
    const s = svc.service;
    assert.equal(answer(s, 'mailbox', 'alice@example.com'), 'example.com/alice/');
    assert.equal(answer(s, 'alias', 'sales@example.com'), 'alice@example.com');
    assert.equal(answer(s, 'mailbox', 'carol@example.com'), 'NOTFOUND', 'disabled in Keycloak');
    assert.equal(answer(s, 'mailbox', 'dave@example.com'), 'NOTFOUND', 'mailEnabled=no');
    assert.equal(answer(s, 'mailbox', 'erin@partner.example.net'), 'NOTFOUND', 'foreign domain');
    assert.equal(answer(s, 'mailbox', 'service-account-mailroster@example.com'), 'NOTFOUND');
    // staff: alice, bob (carol disabled) plus the sales subgroup's fred and gina; 2 per page.
    assert.equal(answer(s, 'alias', 'staff@example.com'), 'alice@example.com,bob@example.com,fred@example.com,gina@example.com');
    const alice = s.resolvers.resolver()!.mailbox('alice@example.com')!;
    assert.equal(alice.quotaBytes, 2 * 1024 ** 3);
    assert.match(alice.passwordHashes[0] ?? '', /^\{ARGON2ID\}/);
    assert.ok(kc.seen(/\/users$/).every((r) => r.query.get('briefRepresentation') === 'false'), 'attributes need the full representation');
    await svc.stop();
    await kc.stop();
  });

  test('mailboxGroup by name or path, subgroups included', async () => {
    const kc = await realm();
    for (const group of ['mail-users', '/mail-users']) {
      const p = provider(kc, { mailboxGroup: group });
      const data = await p.fetchDirectory(signal());
      assert.deepEqual(data.mailboxes.map((m) => m.address).sort(), ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'fred@example.com']);
      await p.close();
    }
    await kc.stop();
  });

  test('one token serves many requests; an expired one is fetched again once', async () => {
    const kc = await realm();
    const p = provider(kc);
    await p.fetchDirectory(signal());
    await p.fetchDirectory(signal());
    assert.equal(kc.seen(/openid-connect\/token$/).length, 1, 'cached across both syncs');
    kc.expireTokens();
    const data = await p.fetchDirectory(signal());
    assert.equal(data.mailboxes.length, 6);
    assert.equal(kc.seen(/openid-connect\/token$/).length, 2, 'renewed once after the 401');
    assert.ok(kc.seen(/openid-connect\/token$/).every((r) => !r.authorization), 'the token request carries no bearer');
    await p.close();
    await kc.stop();
  });

  test('a token is renewed before the expiry the server announced', async () => {
    const kc = await realm();
    // expires_in 0: due for renewal at once, so every request fetches a new one.
    kc.advertisedLifetimeSeconds = 0;
    const p = provider(kc);
    await p.fetchDirectory(signal());
    const tokens = kc.seen(/openid-connect\/token$/).length;
    assert.ok(tokens > 1, `renewed on use (${tokens} tokens)`);
    await p.close();
    await kc.stop();
  });

  test('admin events drive incremental changes: create, update, rename, delete, group membership', async () => {
    const kc = await realm();
    const p = provider(kc, { mailboxGroup: 'mail-users' });
    await p.fetchDirectory(signal());
    const start = await p.fetchChanges(undefined, signal());
    assert.deepEqual(start.changes, []);
    kc.addUser({ username: 'hank' });
    kc.join('hank', 'contractors');
    kc.update('alice', { email: 'alice.new@example.com' });
    kc.update('bob', { enabled: false });
    kc.remove('dave');
    kc.join('gina', 'mail-users');
    const next = await p.fetchChanges(start.cursor, signal());
    const ops = next.changes.map(describeChange).sort();
    assert.deepEqual(ops, [
      'remove-mailbox dave@example.com',
      'upsert-list staff@example.com: alice.new@example.com,fred@example.com,gina@example.com',
      'upsert-mailbox alice.new@example.com',
      'upsert-mailbox bob@example.com disabled',
      'upsert-mailbox gina@example.com',
      'upsert-mailbox hank@example.com',
    ]);
    const again = await p.fetchChanges(next.cursor, signal());
    assert.deepEqual(again.changes, [], 'events at the cursor are not repeated');
    await p.close();
    await kc.stop();
  });

  test('Keycloak 25 (dateFrom only as yyyy-MM-dd) still yields each change once', async () => {
    const kc = await realm(25);
    const p = provider(kc);
    await p.fetchDirectory(signal());
    const start = await p.fetchChanges(undefined, signal());
    kc.update('bob', { enabled: false });
    const next = await p.fetchChanges(start.cursor, signal());
    assert.deepEqual(next.changes.map(describeChange), ['upsert-mailbox bob@example.com disabled', 'upsert-list staff@example.com: alice@example.com,fred@example.com,gina@example.com']);
    assert.deepEqual((await p.fetchChanges(next.cursor, signal())).changes, []);
    await p.close();
    await kc.stop();
  });

  test('the service applies admin-event changes between full syncs', async () => {
    const kc = await realm();
    const svc = await startProviderService(provider(kc), 'alice@example.com');
    kc.update('alice', { email: 'alice.new@example.com' });
    kc.addUser({ username: 'ivan' });
    kc.update('bob', { enabled: false });
    await svc.service.sync.pullChanges();
    assert.equal(answer(svc.service, 'mailbox', 'alice.new@example.com'), 'example.com/alice.new/');
    assert.equal(answer(svc.service, 'mailbox', 'alice@example.com'), 'NOTFOUND');
    assert.equal(answer(svc.service, 'mailbox', 'ivan@example.com'), 'example.com/ivan/');
    assert.equal(answer(svc.service, 'mailbox', 'bob@example.com'), 'NOTFOUND', 'disabled');
    assert.equal(answer(svc.service, 'alias', 'staff@example.com'), 'alice.new@example.com,fred@example.com,gina@example.com');
    await svc.stop();
    await kc.stop();
  });

  test('without admin events (off, or no view-events role) changes quietly wait for the full sync', async () => {
    const kc = await realm();
    kc.adminEventsEnabled = false;
    const p = provider(kc);
    await p.fetchDirectory(signal());
    const start = await p.fetchChanges(undefined, signal());
    kc.update('alice', { email: 'alice.new@example.com' });
    assert.deepEqual((await p.fetchChanges(start.cursor, signal())).changes, []);
    const denied = provider(kc);
    kc.adminEventsEnabled = true;
    kc.fail(/events/, { status: 403 }, Infinity);
    await denied.fetchDirectory(signal());
    const c = await denied.fetchChanges(undefined, signal());
    assert.deepEqual((await denied.fetchChanges(c.cursor, signal())).changes, []);
    await p.close();
    await denied.close();
    await kc.stop();
  });
});

function describeChange(c: DirectoryChange): string {
  if (c.op === 'upsert-mailbox') return `${c.op} ${c.mailbox.address}${c.mailbox.enabled === false ? ' disabled' : ''}`;
  if (c.op === 'upsert-list') return `${c.op} ${c.list.address}: ${c.list.members.join(',')}`;
  return `${c.op} ${c.address}`;
}
