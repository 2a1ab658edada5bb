import assert from 'node:assert/strict';
import type { ScimNode } from '../helpers/scim-service.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MAIL = 'urn:ietf:params:scim:schemas:extension:mailroster:2.0:User';

/** Waits until `read` answers `expected` on `node` (a follower takes a moment), then asserts it. */
async function eventually(read: () => Promise<string>, expected: string | RegExp, what: string, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await read();
    if (typeof expected === 'string' ? last === expected : expected.test(last)) return;
    if (Date.now() > deadline) assert.fail(`${what}: got ${JSON.stringify(last)}, want ${String(expected)} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Authentik user as its default SCIM mapping sends it: username, name, emails, externalId = uid. */
function authentikUser(username: string, email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER], userName: username, externalId: `uid-${username}`, active: true,
    name: { formatted: username, givenName: username }, displayName: username,
    emails: [{ value: email, type: 'other', primary: true }], ...extra,
  };
}

/**
 * Authentik's SCIM client: POST users, PUT (full replace) moving an alias, POST a group named by
 * an address, PATCH add/remove members, deactivate by PUT, DELETE. `readers` are the servers whose
 * socketmap and dict answers must show every change (the writer, and followers).
 */
export async function authentikSequence(writer: ScimNode, readers: readonly ScimNode[]): Promise<void> {
  const s = writer.scim;
  const alice = await s.request('POST', '/Users', authentikUser('alice', 'alice@example.com', { [MAIL]: { aliases: ['sales@example.com'], quota: '2G' }, schemas: [USER, MAIL] }));
  assert.equal(alice.status, 201, JSON.stringify(alice.body));
  assert.match(alice.headers.get('etag') ?? '', /^W\/"1"$/);
  const bob = await s.request('POST', '/Users', authentikUser('bob', 'bob@example.com'));
  assert.equal(bob.status, 201);
  for (const r of readers) {
    await eventually(() => r.socketmap('mailbox', 'alice@example.com'), 'OK example.com/alice/', 'alice created');
    await eventually(() => r.socketmap('alias', 'sales@example.com'), 'OK alice@example.com', 'alias on alice');
    await eventually(() => r.dict('userdb/bob@example.com'), /^O/, 'bob in the userdb');
  }
  // PUT full replace: the alias moves from alice to bob.
  const put = await s.request('PUT', `/Users/${alice.body.id}`, authentikUser('alice', 'alice@example.com'));
  assert.equal(put.status, 200);
  const put2 = await s.request('PUT', `/Users/${bob.body.id}`, { ...authentikUser('bob', 'bob@example.com'), [MAIL]: { aliases: ['sales@example.com'] }, schemas: [USER, MAIL] });
  assert.equal(put2.status, 200, JSON.stringify(put2.body));
  for (const r of readers) await eventually(() => r.socketmap('alias', 'sales@example.com'), 'OK bob@example.com', 'alias moved to bob');
  // A group named by an address, created empty (as Authentik does), then members by PATCH.
  const group = await s.request('POST', '/Groups', { schemas: [GROUP], displayName: 'team@example.com', members: [] });
  assert.equal(group.status, 201);
  const add = await s.request('PATCH', `/Groups/${group.body.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: alice.body.id }, { value: bob.body.id }] }] });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  for (const r of readers) await eventually(() => r.socketmap('alias', 'team@example.com'), /^OK (alice@example.com,bob@example.com|bob@example.com,alice@example.com)$/, 'list with both');
  const remove = await s.request('PATCH', `/Groups/${group.body.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${alice.body.id}"]` }] });
  assert.equal(remove.status, 200);
  for (const r of readers) await eventually(() => r.socketmap('alias', 'team@example.com'), 'OK bob@example.com', 'alice left the list');
  // Deactivate (PUT active=false): no mail, no login.
  const off = await s.request('PUT', `/Users/${alice.body.id}`, { ...authentikUser('alice', 'alice@example.com'), active: false });
  assert.equal(off.status, 200);
  for (const r of readers) {
    await eventually(() => r.socketmap('mailbox', 'alice@example.com'), 'NOTFOUND ', 'alice disabled');
    await eventually(() => r.dict('passdb/alice@example.com'), /^O.*(nologin|reason|"fail")/i, 'alice refused at login');
  }
  const del = await s.request('DELETE', `/Users/${bob.body.id}`);
  assert.equal(del.status, 204);
  for (const r of readers) {
    await eventually(() => r.socketmap('mailbox', 'bob@example.com'), 'NOTFOUND ', 'bob deleted');
    await eventually(() => r.socketmap('alias', 'team@example.com'), 'NOTFOUND ', 'list without members is gone');
    await eventually(() => r.dict('userdb/bob@example.com'), 'N', 'bob gone from the userdb');
  }
  const gone = await s.request('GET', `/Users/${bob.body.id}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
}

/**
 * Entra ID's provisioning: look up by filter before create, POST with the UPN as userName and a
 * work e-mail, PATCH with capitalised ops, path-less value objects, `active` as "False".
 */
export async function entraSequence(writer: ScimNode, readers: readonly ScimNode[]): Promise<void> {
  const s = writer.scim;
  const upn = 'carol@example.org';
  const probe = await s.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${upn}"`)}`);
  assert.equal(probe.status, 200);
  assert.equal(probe.body.totalResults, 0);
  const created = await s.request('POST', '/Users', {
    schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'], externalId: 'e1', userName: upn, active: true,
    displayName: 'Carol', emails: [{ primary: true, type: 'work', value: upn }, { type: 'other', value: 'c.private@gmail.com' }],
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const found = await s.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "CAROL@example.org"`)}`);
  assert.equal(found.body.totalResults, 1, 'userName matches without case');
  const work = await s.request('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [
    { op: 'Add', path: 'emails[type eq "work"].value', value: 'carol.new@example.org' },
    { op: 'Replace', path: 'displayName', value: 'Carol N.' },
  ] });
  assert.equal(work.status, 200, JSON.stringify(work.body));
  for (const r of readers) await eventually(() => r.socketmap('alias', 'carol.new@example.org'), 'OK carol@example.org', 'work e-mail became an alias');
  const byMail = await s.request('GET', `/Users?filter=${encodeURIComponent('emails.value eq "carol.new@example.org"')}`);
  assert.equal(byMail.body.totalResults, 1);
  const off = await s.request('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', value: { active: 'False' } }] });
  assert.equal(off.status, 200, JSON.stringify(off.body));
  assert.equal(off.body.active, false);
  for (const r of readers) await eventually(() => r.socketmap('mailbox', upn), 'NOTFOUND ', 'carol disabled');
  const on = await s.request('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true }] });
  assert.equal(on.status, 200);
  for (const r of readers) await eventually(() => r.socketmap('mailbox', upn), 'OK example.org/carol/', 'carol enabled again');
}
