import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import { captureLogger } from '../helpers/service.js';
import { testIdpOptions } from '../helpers/provider-service.js';

const sha = (key: string) => `{SHA256.HEX}${createHash('sha256').update(key).digest('hex')}`;

async function realm(): Promise<FakeAuthentik> {
  const ak = await new FakeAuthentik().start();
  ak.addUser({ username: 'alice' });
  ak.addUser({ username: 'bob' });
  ak.addUser({ username: 'carol', is_active: false });
  ak.addUser({ username: 'mailroster', type: 'service_account' });
  ak.tokens.apiUserPk = ak.users.find((u) => u.username === 'mailroster')!.pk;
  return ak;
}
const pk = (ak: FakeAuthentik, name: string) => ak.users.find((u) => u.username === name)!.pk;

function provider(ak: FakeAuthentik) {
  const { logger, lines } = captureLogger();
  return { p: new AuthentikProvider({ ...testIdpOptions({}, logger), url: ak.url, token: ak.token }), lines };
}
const apps = (data: DirectoryData, address: string) => data.mailboxes.find((m) => m.address === address)?.appPasswords;
const signal = new AbortController().signal;

describe('Authentik app passwords', () => {
  test('every app password of a user becomes a hash; keys never leave the fetch', async () => {
    const ak = await realm();
    const phone = ak.tokens.add(pk(ak, 'alice'), 'alice-phone');
    const laptop = ak.tokens.add(pk(ak, 'alice'), 'alice-laptop', { expiring: true, expires: '2099-01-01T00:00:00.000000Z' });
    ak.tokens.add(pk(ak, 'bob'), 'bob-api', { intent: 'api' });
    const { p } = provider(ak);
    const data = await p.fetchDirectory(signal);
    assert.deepEqual(apps(data, 'alice@example.com')!.map((a) => [a.id, a.hash, a.expires]), [
      ['alice-laptop', sha(laptop.key), '2099-01-01T00:00:00.000Z'],
      ['alice-phone', sha(phone.key), undefined],
    ]);
    assert.equal(apps(data, 'bob@example.com'), undefined, 'an api token is no app password');
    const json = JSON.stringify(data);
    assert.ok(!json.includes(phone.key) && !json.includes(laptop.key));
    assert.deepEqual(ak.tokens.secretViews.sort(), ['alice-laptop', 'alice-phone']);
    await p.close();
    await ak.stop();
  });

  test('keys are read only for new or changed tokens, also by a new leader starting from the store', async () => {
    const ak = await realm();
    ak.tokens.add(pk(ak, 'alice'), 'alice-phone');
    const first = provider(ak).p;
    const data = await first.fetchDirectory(signal);
    assert.equal(ak.tokens.secretViews.length, 1);
    const again = await first.fetchDirectory(signal, { known: data });
    assert.equal(ak.tokens.secretViews.length, 1, 'a later sync reads no key');
    assert.deepEqual(apps(again, 'alice@example.com'), apps(data, 'alice@example.com'));
    const leader = provider(ak).p;
    await leader.fetchDirectory(signal, { known: data });
    assert.equal(ak.tokens.secretViews.length, 1, 'a new leader reads no key the store holds');
    const bobs = ak.tokens.add(pk(ak, 'bob'), 'bob-mail');
    ak.tokens.tokens.find((t) => t.identifier === 'alice-phone')!.expires = '2099-02-02T00:00:00Z';
    ak.tokens.tokens.find((t) => t.identifier === 'alice-phone')!.expiring = true;
    const changed = await leader.fetchDirectory(signal, { known: data });
    assert.deepEqual(ak.tokens.secretViews.slice(1).sort(), ['alice-phone', 'bob-mail'], 'new token and changed expiry');
    assert.equal(apps(changed, 'bob@example.com')![0]!.hash, sha(bobs.key));
    ak.tokens.remove('alice-phone');
    assert.equal(apps(await leader.fetchDirectory(signal, { known: changed }), 'alice@example.com'), undefined, 'a deleted token is gone');
    await first.close();
    await leader.close();
    await ak.stop();
  });

  test('expired tokens, disabled users and one-off commands read no key', async () => {
    const ak = await realm();
    ak.tokens.add(pk(ak, 'alice'), 'old', { expiring: true, expires: '2020-01-01T00:00:00.000000Z' });
    ak.tokens.add(pk(ak, 'alice'), 'kept-date', { expiring: false, expires: '2020-01-01T00:00:00.000000Z' });
    ak.tokens.add(pk(ak, 'carol'), 'carol-phone');
    const { p } = provider(ak);
    const once = await p.fetchDirectory(signal, { readSecrets: false });
    assert.equal(apps(once, 'alice@example.com'), undefined);
    assert.equal(ak.tokens.secretViews.length, 0);
    const data = await p.fetchDirectory(signal);
    assert.deepEqual(apps(data, 'alice@example.com')!.map((a) => [a.id, a.expires]), [['kept-date', undefined]], '"expiring" off: the date does not count');
    assert.deepEqual(ak.tokens.secretViews, ['kept-date']);
    await p.close();
    await ak.stop();
  });

  test('without view_token_key: one clear warning, no app passwords, the rest of the directory syncs', async () => {
    const ak = await realm();
    ak.tokens.add(pk(ak, 'alice'), 'alice-phone');
    ak.tokens.permissions.delete('view_token_key');
    const { p, lines } = provider(ak);
    const data = await p.fetchDirectory(signal);
    await p.fetchDirectory(signal);
    assert.equal(apps(data, 'alice@example.com'), undefined);
    assert.equal(data.mailboxes.length, 3);
    const warnings = lines().filter((l) => l.msg === 'authentik app passwords: permission missing');
    assert.equal(warnings.length, 1, 'warned once');
    assert.equal(warnings[0]!.permission, 'view_token_key');
    ak.tokens.permissions.add('view_token_key');
    assert.equal(apps(await p.fetchDirectory(signal), 'alice@example.com')!.length, 1, 'works once granted');
    await p.close();
    await ak.stop();
  });

  test('without view_token Authentik lists only the caller\'s own tokens: a warning names the permission', async () => {
    const ak = await realm();
    ak.tokens.add(pk(ak, 'alice'), 'alice-phone');
    ak.tokens.permissions.delete('view_token');
    const { p, lines } = provider(ak);
    const data = await p.fetchDirectory(signal);
    assert.equal(apps(data, 'alice@example.com'), undefined);
    assert.equal(data.mailboxes.length, 3);
    assert.ok(lines().some((l) => l.level === 40 && /lacks authentik_core\.view_token/.test(String(l.msg))));
    await p.close();
    await ak.stop();
  });
});
