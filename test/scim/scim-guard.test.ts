import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SCIM_TOKEN, startScimNode, type ScimNode } from '../helpers/scim-service.js';
import { tempDir } from '../helpers/temp.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('SCIM mass-removal guard (sync.maxDeletePercent over scim.deleteWindowSeconds)', () => {
  let node: ScimNode;
  const ids: string[] = [];
  const tmp = tempDir();

  before(async () => {
    node = await startScimNode({ sync: { maxDeletePercent: 20, deleteGuardFloor: 1 } });
    for (let i = 0; i < 10; i++) ids.push((await node.scim.request('POST', '/Users', { schemas: [USER], userName: `u${i}@example.com` })).body.id);
  });
  after(async () => {
    await node.stop();
    tmp.remove();
  });

  it('removals one request at a time pass up to the share, then are held, logged and left unapplied', async () => {
    assert.equal((await node.scim.request('DELETE', `/Users/${ids[0]}`)).status, 204);
    const off = await node.scim.request('PATCH', `/Users/${ids[1]}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: false }] });
    assert.equal(off.status, 200);
    // 3 of the 10 mailboxes of this window would be 30% > 20%.
    const held = await node.scim.request('DELETE', `/Users/${ids[2]}`);
    assert.equal(held.status, 503);
    assert.match(held.body.detail, /mass-removal guard.*confirm-deletions/);
    assert.ok(held.headers.get('retry-after'));
    const heldOff = await node.scim.request('PUT', `/Users/${ids[3]}`, { schemas: [USER], userName: 'u3@example.com', active: false });
    assert.equal(heldOff.status, 503);
    assert.equal(await node.socketmap('mailbox', 'u2@example.com'), 'OK example.com/u2/');
    assert.equal(await node.socketmap('mailbox', 'u3@example.com'), 'OK example.com/u3/');
    assert.ok(node.logs().some((l) => l.code === 'SCIM_DELETION_GUARD'));
    // Adding and changing users still works meanwhile.
    assert.equal((await node.scim.request('POST', '/Users', { schemas: [USER], userName: 'new@example.com' })).status, 201);
    const status = await (await fetch(`${node.origin}/status`)).json() as { scim: { pendingDeletions: number } };
    assert.equal(status.scim.pendingDeletions, 2);
  });

  it('a held user the IdP writes again (scope fixed) is no longer pending', async () => {
    const again = await node.scim.request('PUT', `/Users/${ids[3]}`, { schemas: [USER], userName: 'u3@example.com', active: true });
    assert.equal(again.status, 200);
    const held = await (await fetch(`${node.origin}/admin/scim/confirm-deletions`, { headers: { authorization: `Bearer ${SCIM_TOKEN}` } })).json() as { pending: number };
    assert.equal(held.pending, 1);
  });

  it('`mailroster sync --confirm-deletions` applies the held removals and opens a new window', async () => {
    const config = join(tmp.path, 'config.json');
    writeFileSync(config, JSON.stringify({ provider: { type: 'scim', domains: ['example.com'] }, scim: { token: SCIM_TOKEN }, http: { listen: new URL(node.origin).host } }));
    const r = await cli(['--config', config, 'sync', '--confirm-deletions']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied 1 held removal/);
    assert.equal(await node.socketmap('mailbox', 'u2@example.com'), 'NOTFOUND ');
    assert.equal((await node.scim.request('GET', `/Users/${ids[2]}`)).status, 404);
    assert.equal(await node.socketmap('mailbox', 'u3@example.com'), 'OK example.com/u3/', 'no longer pending: kept');
    // The new window allows removals again.
    assert.equal((await node.scim.request('DELETE', `/Users/${ids[4]}`)).status, 204);
  });

  it('the confirm endpoint needs the SCIM token', async () => {
    const r = await fetch(`${node.origin}/admin/scim/confirm-deletions`, { method: 'POST' });
    assert.equal(r.status, 401);
  });
});
