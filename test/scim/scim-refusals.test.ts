import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { scimClient, startScimNode, type ScimNode } from '../helpers/scim-service.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM refusals: hostile or wrong bodies change nothing', () => {
  let node: ScimNode;
  let aliceId: string;
  /** Everything a reader could see: every user, group and the lookups of alice. */
  const snapshot = async () => JSON.stringify([
    (await node.scim.request('GET', '/Users')).body.Resources, (await node.scim.request('GET', '/Groups')).body.Resources,
    await node.socketmap('mailbox', 'alice@example.com'), await node.socketmap('alias', 'a@example.com'), await node.dict('userdb/alice@example.com'),
  ]);
  const refused = async (status: number, scimType: string | undefined, method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const before = await snapshot();
    const r = await node.scim.request(method, path, body, headers);
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.deepEqual(r.body.schemas, [ERROR]);
    assert.equal(r.body.status, String(status));
    if (scimType) assert.equal(r.body.scimType, scimType, r.body.detail);
    assert.equal(await snapshot(), before, 'nothing changed');
  };

  before(async () => {
    node = await startScimNode({ scim: { maxBodyBytes: 64 * 1024 } });
    const r = await node.scim.request('POST', '/Users', { schemas: [USER], userName: 'alice@example.com', emails: [{ value: 'a@example.com' }] });
    aliceId = r.body.id;
    await node.scim.request('POST', '/Users', { schemas: [USER], userName: 'bob@example.com' });
  });
  after(async () => node.stop());

  it('no token or a wrong one: 401 with WWW-Authenticate, nothing read or written', async () => {
    for (const token of ['', 'wrong-token']) {
      const c = scimClient(node.origin, token);
      const r = await c.request('POST', '/Users', { schemas: [USER], userName: 'mallory@example.com' });
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await c.request('GET', '/Users')).status, 401);
    }
    assert.equal(await node.socketmap('mailbox', 'mallory@example.com'), 'NOTFOUND ');
  });

  it('invalid JSON, wrong types, unknown schemas and missing fields: 400 with a scimType', async () => {
    await refused(400, 'invalidSyntax', 'POST', '/Users', '{"schemas": [');
    await refused(400, 'invalidSyntax', 'POST', '/Users', '[1,2,3]');
    await refused(400, 'invalidValue', 'POST', '/Users', { schemas: [USER, 'urn:example:unknown:2.0:User'], userName: 'x@example.com' });
    await refused(400, 'invalidValue', 'POST', '/Users', { schemas: [USER], userName: 42 });
    await refused(400, 'invalidValue', 'POST', '/Users', { schemas: [USER], userName: 'x@example.com', active: 'maybe' });
    await refused(400, 'invalidValue', 'POST', '/Users', { schemas: [USER], userName: 'x@example.com', emails: 'x@example.com' });
    await refused(400, 'invalidValue', 'POST', '/Users', { schemas: [USER] });
    await refused(400, 'invalidSyntax', 'POST', '/Users', { userName: 'x@example.com' });
    await refused(400, 'invalidSyntax', 'POST', '/Users', { schemas: [USER], userName: 'x@example.com', __proto__: { admin: true }, ['constructor']: 1 });
  });

  it('an address outside the hosted domains or no address at all: 400', async () => {
    await refused(400, 'invalidValue', 'POST', '/Users', { schemas: [USER], userName: 'eve@elsewhere.net' });
    await refused(400, 'invalidValue', 'POST', '/Users', { schemas: [USER], userName: 'eve', emails: [{ value: 'not an address' }] });
    await refused(400, 'invalidValue', 'PUT', `/Users/${aliceId}`, {
      schemas: [USER, 'urn:ietf:params:scim:schemas:extension:mailroster:2.0:User'], userName: 'alice@example.com',
      'urn:ietf:params:scim:schemas:extension:mailroster:2.0:User': { aliases: ['alias@elsewhere.net'] },
    });
  });

  it('a duplicate userName or an address another mailbox holds: 409 uniqueness', async () => {
    await refused(409, 'uniqueness', 'POST', '/Users', { schemas: [USER], userName: 'ALICE@example.com' });
    await refused(409, 'uniqueness', 'POST', '/Users', { schemas: [USER], userName: 'carol', emails: [{ value: 'a@example.com', primary: true }] });
    await refused(409, 'uniqueness', 'POST', '/Users', { schemas: [USER], userName: 'dave@example.com', emails: [{ value: 'a@example.com' }] });
  });

  it('hostile PATCH: prototype paths, unknown ops, read-only attributes, wrong value types', async () => {
    const patch = (Operations: unknown) => ({ schemas: [PATCH], Operations });
    await refused(400, 'invalidPath', 'PATCH', `/Users/${aliceId}`, patch([{ op: 'add', path: '__proto__.polluted', value: 'yes' }]));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await refused(400, 'invalidSyntax', 'PATCH', `/Users/${aliceId}`, patch([{ op: 'merge', path: 'active', value: false }]));
    await refused(400, 'invalidSyntax', 'PATCH', `/Users/${aliceId}`, patch([]));
    await refused(400, 'invalidSyntax', 'PATCH', `/Users/${aliceId}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });
    await refused(400, 'mutability', 'PATCH', `/Users/${aliceId}`, patch([{ op: 'replace', path: 'id', value: 'mine' }]));
    await refused(400, 'invalidValue', 'PATCH', `/Users/${aliceId}`, patch([{ op: 'replace', path: 'active', value: { nested: true } }]));
    await refused(400, 'invalidValue', 'PATCH', `/Users/${aliceId}`, patch([{ op: 'replace', path: 'userName', value: 'alice@elsewhere.net' }, { op: 'remove', path: 'emails' }]));
  });

  it('a body nested deeper than scim.maxDepth: 400 before parsing', async () => {
    const deep = `{"schemas":["${USER}"],"userName":"x@example.com","name":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    await refused(400, 'invalidSyntax', 'POST', '/Users', deep);
  });

  it('a body over scim.maxBodyBytes: 413, refused on its declared length and when chunked', async () => {
    const huge = JSON.stringify({ schemas: [USER], userName: 'big@example.com', displayName: 'x'.repeat(200 * 1024) });
    await refused(413, undefined, 'POST', '/Users', huge);
    // Chunked (no Content-Length): cut off once the limit is passed.
    const addr = new URL(node.origin);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: addr.hostname, port: addr.port, method: 'POST', path: '/scim/v2/Users', headers: { authorization: 'Bearer test-scim-token-0123456789', 'content-type': 'application/scim+json' } }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      const chunk = 'x'.repeat(16 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && req.write(chunk)) sent++;
        if (sent < 64) req.once('drain', pump);
        else req.end();
      };
      pump();
    }).catch(() => 413);
    assert.equal(status, 413);
    assert.equal(await node.socketmap('mailbox', 'big@example.com'), 'NOTFOUND ');
  });

  it('If-Match with a stale version: 412; unknown ids: 404; bad filters: 400 invalidFilter', async () => {
    await refused(412, 'invalidVers', 'PUT', `/Users/${aliceId}`, { schemas: [USER], userName: 'alice@example.com' }, { 'if-match': 'W/"999"' });
    await refused(404, undefined, 'PUT', '/Users/no-such-id', { schemas: [USER], userName: 'alice@example.com' });
    await refused(404, undefined, 'DELETE', '/Users/no-such-id', undefined);
    const bad = await node.scim.request('GET', `/Users?filter=${encodeURIComponent('userName eq')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.scimType, 'invalidFilter');
  });

  it('discovery endpoints describe what is supported', async () => {
    const spc = await node.scim.request('GET', '/ServiceProviderConfig');
    assert.equal(spc.body.patch.supported, true);
    assert.equal(spc.body.bulk.supported, false);
    const types = await node.scim.request('GET', '/ResourceTypes');
    assert.deepEqual(types.body.Resources.map((t: { id: string }) => t.id), ['User', 'Group']);
    const schemas = await node.scim.request('GET', '/Schemas');
    assert.ok(schemas.body.Resources.some((s: { id: string }) => s.id === 'urn:ietf:params:scim:schemas:extension:mailroster:2.0:User'));
    const user = await node.scim.request('GET', `/Users/${aliceId}`);
    assert.equal(user.body.meta.location, `${node.scim.base}/Users/${aliceId}`);
  });
});
