import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Logger } from 'pino';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import { FakeAuthentik, type AuthentikVersion } from '../helpers/fake-authentik.js';
import { answer, startProviderService, testIdpOptions } from '../helpers/provider-service.js';
import { captureLogger } from '../helpers/service.js';

const signal = (): AbortSignal => AbortSignal.timeout(20_000);

async function realm(version: AuthentikVersion): Promise<FakeAuthentik> {
  const ak = await new FakeAuthentik(version).start();
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) ak.addUser({ username: u });
  ak.addGroup('staff', ['alice'], { mail: 'staff@example.com' });
  ak.addGroup('sales', ['bob'], {}, 'staff');
  return ak;
}

function provider(ak: FakeAuthentik, o: Record<string, unknown> = {}, logger?: Logger, emailAttribute?: string): AuthentikProvider {
  return new AuthentikProvider({ ...testIdpOptions({ provider: o }, logger), url: ak.url, token: ak.token, ...(emailAttribute && { emailAttribute }) });
}

describe('Authentik versions', () => {
  test('2025.6 (no last_updated): the change feed turns itself off, logged once and shown in status; full syncs work', async () => {
    const ak = await realm('2025.6');
    const { logger, lines } = captureLogger();
    const p = provider(ak, {}, logger);
    const start = await p.fetchChanges(undefined, signal());
    const data = await p.fetchDirectory(signal());
    assert.equal(data.mailboxes.length, 5);
    ak.update('alice', { email: 'alice.new@example.com' });
    const before = ak.seen(/core\/users\/$/).length;
    for (let i = 0; i < 5; i++) assert.deepEqual((await p.fetchChanges(start.cursor, signal())).changes, [], 'no poll results: they would be every user');
    assert.equal(ak.seen(/core\/users\/$/).length, before, 'polls make no requests once the feed is off');
    const feed = p.status().features.changeFeed!;
    assert.equal(feed.on, false);
    assert.match(feed.reason!, /no last_updated \(before 2025\.8\)/);
    assert.equal(lines().filter((l) => String(l.msg).includes('changeFeed is off')).length, 1, 'logged once');
    assert.equal(p.status().lastSync?.mailboxes, 5);
    await p.close();
    await ak.stop();
  });

  test('/status shows the provider\'s features and the last sync\'s skips', async () => {
    const ak = await realm('2025.6');
    ak.settings.default_user_change_email = true;
    const svc = await startProviderService(provider(ak, { selfService: { acceptUnverified: true } }), 'alice@example.com', { http: { listen: '127.0.0.1:0' } });
    await svc.service.sync.pullChanges();
    const ep = svc.service.http.address!;
    const status = await (await fetch(`http://127.0.0.1:${ep.kind === 'tcp' ? ep.port : 0}/status`)).json() as { provider: { name: string; features: Record<string, { on: boolean }>; lastSync: Record<string, number> } };
    assert.equal(status.provider.name, 'authentik');
    assert.equal(status.provider.features.changeFeed?.on, false);
    assert.equal(status.provider.features.selfServiceCheck?.on, true);
    assert.equal(status.provider.lastSync.mailboxes, 5);
    assert.equal(status.provider.lastSync.unverifiedSelfService, 0);
    await svc.stop();
    await ak.stop();
  });

  for (const version of ['2025.6', '2025.12', 'current'] as const) {
    test(`${version}: groups (parent or parents) keep their hierarchy; page sizes stay within 100`, async () => {
      const ak = await realm(version);
      for (let i = 0; i < 230; i++) ak.addUser({ username: `user${String(i).padStart(3, '0')}` });
      const svc = await startProviderService(provider(ak, { pageSize: 500 }), 'alice@example.com');
      assert.equal(answer(svc.service, 'alias', 'staff@example.com'), 'alice@example.com,bob@example.com', 'subgroup member included');
      assert.equal(answer(svc.service, 'mailbox', 'user229@example.com'), 'example.com/user229/', 'nobody lost to the page cap');
      assert.ok(ak.seen(/core\/(users|groups)\/$/).every((r) => Number(r.query.get('page_size')) <= 100), 'page_size at most 100');
      await svc.stop();
      await ak.stop();
    });
  }

  test('current: a user updated while a poll pages does not push another user out of the poll', async () => {
    const ak = await realm('current');
    const p = provider(ak);
    await p.fetchDirectory(signal());
    const start = await p.fetchChanges(undefined, signal());
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) ak.update(u, { attributes: { mailQuota: '1G' } });
    // While the poll makes its second request, alice (already read) is updated and moves to the end:
    // with page numbers, carol would slide from page 2 onto page 1 and never be read.
    let moved = false;
    ak.onUsersPage = () => {
      if (moved || ak.requests.filter((r) => r.query.has('last_updated__gt')).length !== 2) return;
      moved = true;
      ak.update('alice', { attributes: { mailQuota: '2G' } });
    };
    const polled = ak.requests.length;
    const next = await p.fetchChanges(start.cursor, signal());
    ak.onUsersPage = undefined;
    const got = next.changes.flatMap((c) => (c.op === 'upsert-mailbox' ? [c.mailbox.address] : []));
    assert.deepEqual([...new Set(got)].sort(), ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com']);
    assert.ok(ak.requests.length - polled > 2, 'the poll paged');
    const after = await p.fetchChanges(next.cursor, signal());
    assert.deepEqual(after.changes, [], 'nothing repeated');
    await p.close();
    await ak.stop();
  });

  test('an expired or deleted token is reported as such, naming "Expiring"', async () => {
    const ak = await realm('current');
    ak.tokenExpires = Date.now() - 1000;
    const p = provider(ak);
    await assert.rejects(p.fetchDirectory(signal()), (err: ProviderError) => err.code === 'PROVIDER_AUTH' && /invalid or expired/.test(err.message) && /"Expiring" is unticked/.test(err.message));
    ak.tokenExpires = undefined;
    ak.tokenIntent = 'app_password';
    await assert.rejects(p.fetchDirectory(signal()), /intent API/);
    await p.close();
    await ak.stop();
  });

  test('a token user with only object-level rights sees some users without error: the sync is refused', async () => {
    const ak = await realm('current');
    ak.tokenUser.permissions.delete('authentik_core.view_user');
    ak.tokenUser.objectUsers = new Set([ak.users[0]!.pk]);
    const listed = await (await fetch(`${ak.url}/api/v3/core/users/?page_size=100`, { headers: { authorization: `Bearer ${ak.token}` } })).json() as { results: unknown[] };
    assert.equal(listed.results.length, 1, 'the fake shows the trap: one user, status 200');
    const p = provider(ak);
    await assert.rejects(p.fetchDirectory(signal()), (err: ProviderError) => err.code === 'PROVIDER_AUTH' && /lacks the global permission\(s\) authentik_core\.view_user/.test(err.message));
    ak.tokenUser.is_superuser = true;
    assert.equal((await p.fetchDirectory(signal())).mailboxes.length, 5, 'a superuser token sees everyone');
    await p.close();
    await ak.stop();
  });

  test('users allowed to change their e-mail: unverified e-mails give no mailbox unless an admin attribute or acceptUnverified says so', async () => {
    const ak = await realm('current');
    ak.settings.default_user_change_email = true;
    ak.update('alice', { attributes: { mail: 'alice@example.com' } });
    ak.update('bob', { email: 'postmaster@example.com' });
    const { logger, lines } = captureLogger();
    const strict = provider(ak, {}, logger);
    assert.deepEqual((await strict.fetchDirectory(signal())).mailboxes, [], 'every e-mail is user-set and Authentik keeps no verified flag');
    const summary = lines().find((l) => l.msg === 'authentik directory fetched')!;
    assert.equal(summary.unverifiedSelfService, 4);
    assert.equal(summary.roleAddresses, 1);
    assert.match(String(strict.status().features.selfServiceCheck?.reason), /Allow users to change email/);
    const withAttr = provider(ak, {}, undefined, 'mail');
    assert.deepEqual((await withAttr.fetchDirectory(signal())).mailboxes.map((m) => m.address), ['alice@example.com'], 'the admin attribute is trusted');
    const relaxed = provider(ak, { selfService: { acceptUnverified: true } });
    const addresses = (await relaxed.fetchDirectory(signal())).mailboxes.map((m) => m.address).sort();
    assert.deepEqual(addresses, ['alice@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com'], 'postmaster@ stays refused');
    for (const p of [strict, withAttr, relaxed]) await p.close();
    await ak.stop();
  });

  test('an open enrollment flow, or flows the token cannot read, count as self-service; admin-only mode trusts all', async () => {
    const ak = await realm('current');
    ak.flows.push({ slug: 'signup', designation: 'enrollment', authentication: 'require_unauthenticated' });
    const p = provider(ak);
    assert.equal((await p.fetchDirectory(signal())).mailboxes.length, 0);
    assert.match(String(p.status().features.selfServiceCheck?.reason), /anyone may enroll through flow signup/);
    ak.flows.pop();
    ak.tokenUser.permissions.delete('authentik_flows.view_flow');
    assert.equal((await p.fetchDirectory(signal())).mailboxes.length, 0, 'an empty flow listing without view_flow proves nothing');
    assert.match(String(p.status().features.selfServiceCheck?.reason), /needs authentik_flows\.view_flow/);
    const trusting = provider(ak, { selfService: { mode: 'admin-only' } });
    assert.equal((await trusting.fetchDirectory(signal())).mailboxes.length, 5);
    await p.close();
    await trusting.close();
    await ak.stop();
  });
});
