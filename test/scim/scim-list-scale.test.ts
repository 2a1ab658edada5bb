import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { Directory } from '../../src/directory/directory.js';
import { DeletionWindow } from '../../src/scim/deletion-window.js';
import { ScimMapping } from '../../src/scim/scim-mapping.js';
import { ScimOperations } from '../../src/scim/scim-operations.js';
import type { Resource } from '../../src/scim/scim-resources.js';
import { ScimStore } from '../../src/scim/scim-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';

// An IdP's import pages through the whole collection, and a filter on an attribute the index does
// not hold tests every resource: with tens of thousands of pushed users, those scans must leave
// the event loop to the lookups, and a page must still show the latest writes.

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const DOMAINS = ['example.com'];
const USERS = 60_000;
const user = (id: string): Resource => ({ schemas: [USER], id, userName: `${id}@example.com`, emails: [{ value: `${id}.mail@example.com` }], meta: { resourceType: 'User' } });

async function pushedUsers(): Promise<{ ops: ScimOperations; scim: ScimStore }> {
  const mapping = new ScimMapping(DOMAINS);
  const records: Record<string, unknown> = {};
  const mailboxes = [];
  for (let i = 0; i < USERS; i++) {
    records[`User/u${i}`] = user(`u${i}`);
    mailboxes.push(mapping.mailbox(records[`User/u${i}`] as Resource));
  }
  const store = new MemoryStore();
  await store.replace(Directory.build({ domains: DOMAINS, mailboxes, lists: [], records }, { strict: true, source: 'scim' }));
  const logger = pino({ level: 'silent' });
  const scim = new ScimStore({ store, logger, domains: DOMAINS, mapping, guard: new DeletionWindow({ maxDeletePercent: 100, floor: 1e9, windowSeconds: 60, logger }) });
  return { ops: new ScimOperations(scim, 100), scim };
}

/** Runs `list` with a turn of the event loop queued behind it; true when that turn ran before the list was done. */
async function turnPassed(list: () => Promise<unknown>): Promise<boolean> {
  let turned = false;
  setImmediate(() => (turned = true));
  await list();
  return turned;
}

test('a page deep in the collection and a filter the index cannot answer let other work run meanwhile', async () => {
  const { ops, scim } = await pushedUsers();
  await scim.read(); // indexed once; what follows is the list itself
  assert.ok(await turnPassed(() => ops.list('User', { startIndex: '30001', count: '10' }, 'http://x')), 'the unfiltered scan held the event loop');
  assert.ok(await turnPassed(() => ops.list('User', { filter: 'emails.value eq "u59999.mail@example.com"' }, 'http://x')), 'the filter held the event loop');
});

test('pages come from the collection read once per snapshot, and a write shows on the next page', async () => {
  const { ops } = await pushedUsers();
  const page = await ops.list('User', { startIndex: '59991', count: '20' }, 'http://x');
  assert.equal(page.totalResults, USERS);
  assert.deepEqual((page.Resources as Resource[]).map((r) => r.id), Array.from({ length: 10 }, (_, i) => `u${59990 + i}`));
  const created = await ops.create('User', { schemas: [USER], userName: 'late@example.com' });
  const after = await ops.list('User', { startIndex: '60001', count: '5' }, 'http://x');
  assert.equal(after.totalResults, USERS + 1);
  assert.deepEqual((after.Resources as Resource[]).map((r) => r.id), [created.id]);
  const filtered = await ops.list('User', { filter: 'emails.value eq "u7.mail@example.com"' }, 'http://x');
  assert.deepEqual((filtered.Resources as Resource[]).map((r) => r.id), ['u7']);
  await assert.rejects(ops.list('User', { startIndex: 'x' }, 'http://x'), (err: { status?: number }) => err.status === 400);
});
