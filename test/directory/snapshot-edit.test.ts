import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { DirectoryChange } from '../../src/directory/directory-change.js';
import { applyChanges, applyPatch } from '../../src/directory/directory-changes.js';
import { Directory } from '../../src/directory/directory.js';
import { patchBetweenDirectories } from '../../src/directory/indexed-directory.js';
import { editSnapshot } from '../../src/directory/snapshot-edit.js';
import { diffDirectories, summarizeDiff } from '../../src/sync/directory-diff.js';
import { entryTexts } from '../../src/directory/directory-entries.js';

// A leader applies its change feed to the snapshot in place of a full build. Whenever it does, the
// result must be exactly what the full build would have given: these properties compare the two
// over small directories where ids, addresses, aliases, catch-alls and list senders collide.

const locals = fc.constantFrom('a', 'b', 'c', 'd', 'jörg');
const domains = fc.constantFrom('d.example', 'e.example', 'bücher.example', 'xn--bcher-kva.example');
const address = fc.tuple(locals, domains).map(([l, d]) => `${l}@${d}`);
const id = fc.option(fc.constantFrom('1', '2', '3', '4'), { nil: undefined });
const mailbox = fc.record({
  address,
  id,
  aliases: fc.uniqueArray(fc.oneof(address, fc.constantFrom('@d.example', '@e.example')), { maxLength: 2 }),
  enabled: fc.boolean(),
  quotaBytes: fc.constantFrom(1024, 2048),
}, { requiredKeys: ['address', 'aliases'] });
const data = fc.record({
  domains: fc.option(fc.constant(['d.example', 'e.example', 'bücher.example']), { nil: undefined }),
  mailboxes: fc.array(mailbox, { maxLength: 6 }),
  lists: fc.array(fc.record({ address: fc.constantFrom('l1@d.example', 'l2@e.example'), members: fc.array(address, { minLength: 1, maxLength: 2 }), senders: fc.array(address, { maxLength: 2 }) }), { maxLength: 2 }),
}, { requiredKeys: ['mailboxes', 'lists'] });
const change: fc.Arbitrary<DirectoryChange> = fc.oneof(
  mailbox.map((m) => ({ op: 'upsert-mailbox' as const, mailbox: m })),
  fc.record({ op: fc.constant('remove-mailbox' as const), id, address: fc.option(address, { nil: undefined }) }),
);

const build = (d: unknown): Directory => Directory.build(d, { strict: false, source: 'test' });
/** Everything a snapshot answers from: entries, domains, and its key index. */
function contents(dir: Directory): unknown {
  const { mailboxes, lists } = entryTexts(dir);
  const hosted = ['d.example', 'e.example', 'xn--bcher-kva.example'].map((d) => dir.hostedDomain(d) ?? null);
  const keys = ['a', 'b', 'c', 'd', 'jörg', 'l1', 'l2'].flatMap((l) => ['d.example', 'e.example', 'xn--bcher-kva.example'].map((d) => `${l}@${d}`));
  const found = keys.map((k) => [k, dir.findKey(k) >= 0 ? dir.keyKind(dir.findKey(k)) : 0]);
  const catchAlls = ['d.example', 'e.example'].map((d) => (dir.catchAllRef(d) >= 0 ? dir.mailboxAddress(dir.catchAllRef(d)) : null));
  return { mailboxes: [...mailboxes].sort(), lists: [...lists].sort(), hosted, explicit: dir.explicitDomains ?? null, found, catchAlls, count: dir.mailboxCount };
}

describe('editSnapshot', () => {
  test('gives exactly what a full build of the changed data gives, whenever it gives anything', () => {
    let edited = 0;
    fc.assert(fc.property(data, fc.array(change, { minLength: 1, maxLength: 4 }), (d, changes) => {
      const base = build(d);
      const edit = editSnapshot(base, changes);
      if (!edit) return;
      edited++;
      const full = build(applyChanges(base.data, changes));
      assert.deepEqual(contents(edit.directory), contents(full));
      // The patch is what a follower replays: on the old data it gives the same directory.
      assert.deepEqual(contents(build(applyPatch(base.data, edit.patch))), contents(full));
    }), { numRuns: 1500 });
    assert.ok(edited > 200, `the snapshot was edited in ${edited} of 1500 runs`);
  });

  test('the diff of an edited snapshot, which shares layers with its base, is the diff of a rebuilt one', () => {
    fc.assert(fc.property(data, fc.array(change, { minLength: 1, maxLength: 4 }), (d, changes) => {
      const base = build(d);
      const edit = editSnapshot(base, changes);
      if (!edit) return;
      const rebuilt = build(edit.directory.data);
      const listed = (x: ReturnType<typeof diffDirectories>) => [x.mailboxes, x.aliases, x.lists].map((sec) => sec.list(100).map((c) => JSON.stringify(c)).sort());
      const [shared, whole] = [diffDirectories(base, edit.directory), diffDirectories(base, rebuilt)];
      assert.deepEqual(summarizeDiff(shared), summarizeDiff(whole));
      assert.deepEqual(listed(shared), listed(whole));
      assert.deepEqual(shared.domains, whole.domains);
      // What a Redis store would write for the edited snapshot replays to the same data.
      assert.deepEqual(contents(build(applyPatch(base.data, patchBetweenDirectories(base, edit.directory)))), contents(rebuilt));
    }), { numRuns: 1500 });
  });

  test('an ordinary change (new user, quota, rename by id, removal) is applied without a build', () => {
    const base = build({ mailboxes: [{ address: 'a@d.example', id: '1', aliases: ['x@d.example'] }, { address: 'b@d.example', id: '2' }], lists: [{ address: 'l@d.example', members: ['a@d.example'], senders: ['x@d.example'] }] });
    const cases: DirectoryChange[][] = [
      [{ op: 'upsert-mailbox', mailbox: { address: 'n@d.example', id: '9' } }],
      [{ op: 'upsert-mailbox', mailbox: { address: 'b@d.example', id: '2', quota: '1G' } }],
      [{ op: 'upsert-mailbox', mailbox: { address: 'bee@d.example', id: '2' } }],
      [{ op: 'remove-mailbox', id: '2' }],
    ];
    for (const changes of cases) {
      const edit = editSnapshot(base, changes);
      assert.ok(edit, JSON.stringify(changes));
      assert.deepEqual(contents(edit.directory), contents(build(applyChanges(base.data, changes))));
    }
    // The rename moved the mailbox: the old address is gone from the index.
    assert.equal(editSnapshot(base, cases[2]!)!.directory.mailboxRef('b@d.example'), -1);
  });

  test('leaves to a full build what it cannot vouch for: a clash, a bad entry, a list change', () => {
    const base = build({ mailboxes: [{ address: 'a@d.example', aliases: ['x@d.example'] }], lists: [{ address: 'l@d.example', members: ['a@d.example'] }] });
    assert.equal(editSnapshot(base, [{ op: 'upsert-mailbox', mailbox: { address: 'b@d.example', aliases: ['x@d.example'] } }]), undefined);
    assert.equal(editSnapshot(base, [{ op: 'upsert-mailbox', mailbox: { address: 'l@d.example' } }]), undefined);
    assert.equal(editSnapshot(base, [{ op: 'upsert-mailbox', mailbox: { address: 'not an address' } }]), undefined);
    assert.equal(editSnapshot(base, [{ op: 'upsert-list', list: { address: 'm@d.example', members: ['a@d.example'] } }]), undefined);
  });
});

