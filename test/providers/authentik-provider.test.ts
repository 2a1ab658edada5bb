import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import type { DirectoryChange } from '../../src/providers/provider.js';
import { join } from 'node:path';
import { dictClient, HELLO_23 } from '../helpers/dict-client.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import { tempDir } from '../helpers/temp.js';
import { answer, startProviderService, testIdpOptions } from '../helpers/provider-service.js';

/** A small realm covering every mapping rule; pageSize 2 spreads it over several pages. */
async function realm(): Promise<FakeAuthentik> {
  const ak = await new FakeAuthentik().start();
  ak.addUser({ username: 'alice', attributes: { mailAlias: ['a.smith@example.com', 'sales@example.com'], mailQuota: '5G', mailPasswordHash: '{BLF-CRYPT}$2y$05$abcdefghijklmnopqrstuv' } });
  ak.addUser({ username: 'bob' });
  ak.addUser({ username: 'carol', is_active: false });
  ak.addUser({ username: 'dave', attributes: { mailEnabled: 'false' } });
  ak.addUser({ username: 'svc', type: 'service_account' });
  ak.addUser({ username: 'ext', type: 'external' });
  ak.addUser({ username: 'frank', email: 'frank@foreign.org' });
  ak.addUser({ username: 'gina', attributes: { mailAlias: 'g@example.com, gina@other.net', mailQuota: 'lots' } });
  ak.addUser({ username: 'henry', attributes: { mailAlias: ['bob@example.com', 'h@example.com'] } });
  ak.addUser({ username: 'nomail', email: '' });
  ak.addGroup('staff', ['alice', 'bob'], { mail: 'staff@example.com' });
  ak.addGroup('interns', ['gina'], {}, 'staff');
  ak.addGroup('partners', ['frank'], { mail: 'partners@foreign.org' });
  return ak;
}

function provider(ak: FakeAuthentik, mapping: Record<string, unknown> = {}): AuthentikProvider {
  return new AuthentikProvider({ ...testIdpOptions({ provider: { mapping } }), url: ak.url, token: ak.token });
}

describe('Authentik provider', () => {
  test('socketmap answers come from users, attributes and groups', async () => {
    const ak = await realm();
    const svc = await startProviderService(provider(ak), 'alice@example.com');
    const s = svc.service;
    assert.equal(answer(s, 'mailbox', 'alice@example.com'), 'example.com/alice/');
    assert.equal(answer(s, 'mailbox', 'bob@example.com'), 'example.com/bob/');
    assert.equal(answer(s, 'alias', 'a.smith@example.com'), 'alice@example.com');
    assert.equal(answer(s, 'alias', 'sales@example.com'), 'alice@example.com');
    assert.equal(answer(s, 'alias', 'g@example.com'), 'gina@example.com', 'comma-separated alias string');
    // The list's members include the subgroup's; frank's foreign list is ignored.
    assert.equal(answer(s, 'alias', 'staff@example.com'), 'alice@example.com,bob@example.com,gina@example.com');
    assert.equal(answer(s, 'alias', 'partners@foreign.org'), 'NOTFOUND');
    for (const gone of ['svc', 'ext', 'nomail']) assert.equal(answer(s, 'mailbox', `${gone}@example.com`), 'NOTFOUND', gone);
    assert.equal(answer(s, 'mailbox', 'frank@foreign.org'), 'NOTFOUND');
    const resolver = s.resolvers.resolver()!;
    assert.equal(resolver.mailbox('alice@example.com')?.quotaBytes, 5 * 1024 ** 3);
    assert.deepEqual(resolver.mailbox('alice@example.com')?.passwordHashes, ['{BLF-CRYPT}$2y$05$abcdefghijklmnopqrstuv']);
    assert.equal(resolver.mailbox('gina@example.com')?.quotaBytes, undefined, 'a bad quota is dropped, the mailbox kept');
    await svc.stop();
    await ak.stop();
  });

  test('Dovecot dict answers: userdb quota and passdb app-password hash from attributes', async () => {
    const ak = await realm();
    const sock = tempDir('mailroster-dict-');
    const path = join(sock.path, 'dict.sock');
    const svc = await startProviderService(provider(ak), 'alice@example.com', { dict: { listen: [path] } });
    const c = await dictClient(path);
    c.write(`${HELLO_23}Lshared/userdb/alice@example.com\t\nLshared/passdb/a.smith@example.com\t\nLshared/passdb/bob@example.com\t\nLshared/userdb/svc@example.com\t\n`);
    assert.match(await c.next(), /^O\{.*"quota_rule":"\*:storage=5G"/);
    assert.equal(await c.next(), 'O{"password":"{BLF-CRYPT}$2y$05$abcdefghijklmnopqrstuv","user":"alice@example.com"}');
    assert.equal(await c.next(), 'N', 'no hash attribute: no app-password login');
    assert.equal(await c.next(), 'N', 'service accounts have no mailbox');
    c.close();
    await svc.stop();
    sock.remove();
    await ak.stop();
  });

  test('inactive users and mailEnabled=false get disabled mailboxes; skips are counted and logged', async () => {
    const ak = await realm();
    const { logger, lines } = (await import('../helpers/service.js')).captureLogger();
    const p = new AuthentikProvider({ ...testIdpOptions({}, logger), url: ak.url, token: ak.token });
    const data = await p.fetchDirectory(AbortSignal.timeout(10_000));
    const byAddress = new Map(data.mailboxes.map((m) => [m.address, m]));
    assert.equal(byAddress.get('carol@example.com')?.enabled, false);
    assert.equal(byAddress.get('dave@example.com')?.enabled, false);
    assert.equal(byAddress.get('bob@example.com')?.enabled, undefined);
    const summary = lines().find((l) => l.msg === 'authentik directory fetched')!;
    assert.equal(summary.excluded, 2, 'service account and external user');
    assert.equal(summary.foreignAddresses, 3, "frank's address, gina's foreign alias, the partners list");
    assert.equal(summary.collisions, 1);
    assert.equal(summary.withoutEmail, 1);
    const warnings = lines().filter((l) => l.msg === 'provider entry not used as is').map((l) => String(l.reason));
    assert.ok(warnings.some((w) => w.includes('alias bob@example.com is the address of user')), 'collision is reported');
    assert.ok(warnings.some((w) => w.includes('"lots" is not a size')));
    assert.ok(!JSON.stringify(lines()).includes(ak.token), 'the token never reaches the log');
    await p.close();
    await ak.stop();
  });

  test('a user whose email is another user\'s alias keeps the mailbox; the alias is dropped, not the user', async () => {
    const ak = await realm();
    const svc = await startProviderService(provider(ak), 'bob@example.com');
    assert.equal(answer(svc.service, 'mailbox', 'bob@example.com'), 'example.com/bob/');
    assert.equal(answer(svc.service, 'alias', 'h@example.com'), 'henry@example.com');
    await svc.stop();
    await ak.stop();
  });

  test('mailboxGroup limits mailboxes to its members, subgroups included', async () => {
    const ak = await realm();
    ak.addGroup('mail-users', ['alice']);
    ak.addGroup('mail-users-sub', ['bob'], {}, 'mail-users');
    const svc = await startProviderService(provider(ak, { mailboxGroup: 'mail-users' }), 'alice@example.com');
    assert.equal(answer(svc.service, 'mailbox', 'alice@example.com'), 'example.com/alice/');
    assert.equal(answer(svc.service, 'mailbox', 'bob@example.com'), 'example.com/bob/');
    assert.equal(answer(svc.service, 'mailbox', 'gina@example.com'), 'NOTFOUND');
    assert.equal(answer(svc.service, 'alias', 'staff@example.com'), 'alice@example.com,bob@example.com', 'lists hold mailboxes only');
    await svc.stop();
    await ak.stop();
  });

  test('an email rename keeps the mailbox id, so the mailbox moves', async () => {
    const ak = await realm();
    const p = provider(ak);
    const svc = await startProviderService(p, 'alice@example.com');
    const before = (await p.fetchDirectory(AbortSignal.timeout(10_000))).mailboxes.find((m) => m.address === 'alice@example.com')!;
    ak.update('alice', { email: 'alice.new@example.com' });
    await svc.service.sync.syncNow();
    assert.equal(answer(svc.service, 'mailbox', 'alice@example.com'), 'NOTFOUND');
    assert.equal(answer(svc.service, 'mailbox', 'alice.new@example.com'), 'example.com/alice.new/');
    assert.equal(svc.service.resolvers.resolver()!.mailbox('alice.new@example.com')?.id, before.id);
    await svc.stop();
    await ak.stop();
  });

  test('the service applies polled changes between full syncs', async () => {
    const ak = await realm();
    const svc = await startProviderService(provider(ak), 'alice@example.com');
    ak.update('alice', { email: 'alice.new@example.com' });
    ak.addUser({ username: 'ivan' });
    await svc.service.sync.pullChanges();
    assert.equal(answer(svc.service, 'mailbox', 'alice.new@example.com'), 'example.com/alice.new/');
    assert.equal(answer(svc.service, 'mailbox', 'alice@example.com'), 'NOTFOUND');
    assert.equal(answer(svc.service, 'alias', 'sales@example.com'), 'alice.new@example.com', 'aliases move with the mailbox');
    assert.equal(answer(svc.service, 'mailbox', 'ivan@example.com'), 'example.com/ivan/');
    await svc.stop();
    await ak.stop();
  });

  test('incremental changes poll last_updated__gt: upserts, renames, list moves', async () => {
    const ak = await realm();
    const p = provider(ak);
    const signal = AbortSignal.timeout(10_000);
    await p.fetchDirectory(signal);
    const start = await p.fetchChanges(undefined, signal);
    assert.deepEqual(start.changes, []);
    ak.update('alice', { email: 'alice.new@example.com' });
    ak.update('bob', { is_active: false });
    ak.addUser({ username: 'ivan', attributes: { mailAlias: ['iv@example.com'] } });
    const next = await p.fetchChanges(start.cursor, signal);
    const ops = next.changes.map(describeChange);
    assert.ok(ops.includes('upsert-mailbox alice.new@example.com'), ops.join());
    assert.ok(ops.includes('upsert-mailbox bob@example.com disabled'), ops.join());
    assert.ok(ops.includes('upsert-mailbox ivan@example.com'), ops.join());
    const staff = next.changes.find((c) => c.op === 'upsert-list');
    assert.deepEqual(staff?.op === 'upsert-list' && staff.list.members, ['alice.new@example.com', 'gina@example.com']);
    const floor = Date.parse(JSON.parse(start.cursor).t) - 5000;
    assert.ok(ak.seen(/users\/$/).filter((r) => r.query.has('last_updated__gt')).every((r) => Date.parse(r.query.get('last_updated__gt')!) >= floor), 'asks from the cursor (less the overlap) on');
    assert.deepEqual((await p.fetchChanges(next.cursor, signal)).changes, [], 'nothing new since');
    ak.update('henry', { email: 'henry@foreign.org' });
    const moved = await p.fetchChanges(next.cursor, signal);
    assert.deepEqual(moved.changes.map(describeChange), ['remove-mailbox henry@example.com']);
    await p.close();
    await ak.stop();
  });
});

function describeChange(c: DirectoryChange): string {
  if (c.op === 'upsert-mailbox') return `${c.op} ${c.mailbox.address}${c.mailbox.enabled === false ? ' disabled' : ''}`;
  if (c.op === 'remove-mailbox') return `${c.op} ${c.address}`;
  return `${c.op} ${c.op === 'upsert-list' ? c.list.address : c.address}`;
}
