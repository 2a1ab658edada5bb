import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthentikProvider } from '../../src/providers/authentik-provider.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import { populateAuthentik, syntheticUser } from '../helpers/idp-population.js';
import { answer, startProviderService, testIdpOptions } from '../helpers/provider-service.js';

const USERS = 100_000;

// Time and memory of this run belong to benchmarks/provider-sync.bench.ts, not to an assertion.
test('a full sync of 100k Authentik users completes and answers lookups', async (t) => {
  const ak = await new FakeAuthentik().start();
  t.after(() => ak.stop());
  populateAuthentik(ak, USERS);
  const options = testIdpOptions({ provider: { pageSize: 500, mapping: { mailboxGroup: 'mail-users' }, http: { timeoutMs: 30_000, retries: 2 } } });
  const svc = await startProviderService(new AuthentikProvider({ ...options, url: ak.url, token: ak.token }), `${syntheticUser(0)}@example.com`);
  t.after(() => svc.stop());
  const s = svc.service;
  assert.equal(answer(s, 'mailbox', `${syntheticUser(0)}@example.com`), `example.com/${syntheticUser(0)}/`);
  assert.equal(answer(s, 'mailbox', `${syntheticUser(USERS - 2)}@example.com`), `example.com/${syntheticUser(USERS - 2)}/`);
  assert.equal(answer(s, 'mailbox', `${syntheticUser(USERS - 1)}@example.com`), 'NOTFOUND', 'inactive: disabled mailbox');
  assert.equal(answer(s, 'alias', `alias-${syntheticUser(50_000)}@example.com`), `${syntheticUser(50_000)}@example.com`);
  assert.equal(answer(s, 'mailbox', `${syntheticUser(999)}@example.com`), 'NOTFOUND', 'service account');
  assert.equal(answer(s, 'alias', 'announce@example.com').split(',').length, 980, 'list of enabled members (20 of the first 1000 are inactive, u000999 among them)');
  assert.equal(s.resolvers.resolver()!.mailbox(`${syntheticUser(10)}@example.com`)?.quotaBytes, 2 * 1024 ** 3);
  // pageSize 500 is more than Authentik's cap of 100: pages of 100 are asked for.
  const fullPages = ak.seen(/core\/users\/$/).filter((r) => r.query.get('page_size') === '100' && r.query.get('page') !== null);
  assert.equal(fullPages.length, USERS / 100, 'one pass, one request per page of 100');
});
