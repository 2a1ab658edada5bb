import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyChanges, applyPatch, patchBetween } from '../../src/directory/directory-changes.js';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import { Directory } from '../../src/directory/directory.js';
import { checkDeletionGuard } from '../../src/sync/deletion-guard.js';
import { diffDirectories, summarizeDiff } from '../../src/sync/directory-diff.js';
import { formatDiff } from '../../src/sync/sync-command.js';
import { backoffDelayMs, nextSyncDelayMs } from '../../src/sync/sync-schedule.js';

const BASE: DirectoryData = {
  mailboxes: [
    { address: 'alice@example.com', id: 'u1', aliases: ['a@example.com'] },
    { address: 'bob@example.com', id: 'u2' },
  ],
  lists: [{ address: 'team@example.com', id: 'g1', members: ['alice@example.com'] }],
};

const build = (data: DirectoryData): Directory => Directory.build(data, { strict: true, source: 'test' });
const canonical = (data: DirectoryData): DirectoryData => build(data).data;

describe('applyChanges (provider change feed)', () => {
  test('an upsert with a known id moves the mailbox to its new address', () => {
    const out = applyChanges(BASE, [{ op: 'upsert-mailbox', mailbox: { address: 'alice.smith@example.com', id: 'u1' } }]);
    assert.deepEqual(out.mailboxes.map((m) => m.address).sort(), ['alice.smith@example.com', 'bob@example.com']);
  });

  test('upserts add or replace by address; removals go by id or address; the input is untouched', () => {
    const out = applyChanges(BASE, [
      { op: 'upsert-mailbox', mailbox: { address: 'Carol@Example.com' } },
      { op: 'upsert-mailbox', mailbox: { address: 'bob@example.com', id: 'u2', quotaBytes: 5 } },
      { op: 'remove-mailbox', id: 'u1' },
      { op: 'remove-list', address: 'TEAM@example.com' },
      { op: 'upsert-list', list: { address: 'ops@example.com', members: ['bob@example.com'] } },
    ]);
    assert.deepEqual(out.mailboxes, [{ address: 'bob@example.com', id: 'u2', quotaBytes: 5 }, { address: 'Carol@Example.com' }]);
    assert.deepEqual(out.lists?.map((l) => l.address), ['ops@example.com']);
    assert.equal(BASE.mailboxes.length, 2);
    assert.equal(BASE.mailboxes[0]!.address, 'alice@example.com');
  });

  test('removing something unknown changes nothing', () => {
    assert.deepEqual(applyChanges(BASE, [{ op: 'remove-mailbox', id: 'nope' }, { op: 'remove-list', address: 'x@example.com' }]), BASE);
  });
});

describe('patches (what Redis stores and followers replay)', () => {
  test('patchBetween then applyPatch reproduces the new directory', () => {
    const before = canonical(BASE);
    const after = canonical({ domains: ['example.com'], mailboxes: [{ address: 'alice@example.com', id: 'u1', quota: '1G' }, { address: 'dan@example.com' }] });
    const patch = patchBetween(before, after);
    assert.deepEqual(patch.mailboxes.del, ['bob@example.com']);
    assert.deepEqual(patch.lists.del, ['team@example.com']);
    assert.deepEqual(patch.domains, ['example.com']);
    const replayed = canonical(applyPatch(before, JSON.parse(JSON.stringify(patch))));
    assert.deepEqual(new Set(replayed.mailboxes.map((m) => JSON.stringify(m))), new Set(after.mailboxes.map((m) => JSON.stringify(m))));
    assert.deepEqual(replayed.domains, ['example.com']);
  });

  test('equal directories give an empty patch', () => {
    const p = patchBetween(canonical(BASE), canonical(BASE));
    assert.deepEqual(p, { mailboxes: { put: [], del: [] }, lists: { put: [], del: [] } });
  });
});

describe('directory diff and the deletion guard', () => {
  test('reports mailboxes, aliases (with owner moves) and lists', () => {
    const after = build({ mailboxes: [{ address: 'alice@example.com', id: 'u1' }, { address: 'bob@example.com', id: 'u2', aliases: ['a@example.com'], quota: '2G' }] });
    const diff = diffDirectories(build(BASE), after);
    assert.deepEqual(summarizeDiff(diff), {
      mailboxes: { added: 0, removed: 0, changed: 2 },
      aliases: { added: 0, removed: 0, changed: 1 },
      lists: { added: 0, removed: 1, changed: 0 },
    });
    assert.equal(formatDiff(diff), [
      'mailboxes: +0 -0 ~2',
      '  ~ alice@example.com (aliases)',
      '  ~ bob@example.com (aliases, quotaBytes)',
      'aliases: +0 -0 ~1',
      '  ~ a@example.com -> bob@example.com (was alice@example.com)',
      'lists: +0 -1 ~0',
      '  - team@example.com',
      '',
    ].join('\n'));
  });

  test('refuses removing more than the share, allows the floor, and never an empty answer', () => {
    const tenData = { mailboxes: Array.from({ length: 10 }, (_, i) => ({ address: `u${i}@example.com` })) };
    const ten = build(tenData);
    const keep = (n: number) => diffDirectories(ten, build({ mailboxes: tenData.mailboxes.slice(0, n) }));
    const options = { maxDeletePercent: 10, floor: 1, force: false };
    assert.equal(checkDeletionGuard(keep(9), options), undefined, 'one is within 10%');
    assert.equal(checkDeletionGuard(keep(8), options)?.code, 'SYNC_DELETION_GUARD');
    assert.equal(checkDeletionGuard(keep(8), { ...options, force: true }), undefined);
    assert.equal(checkDeletionGuard(keep(0), { ...options, force: true })?.code, 'SYNC_EMPTY_ANSWER');
    const three = diffDirectories(build(BASE), build({ mailboxes: [BASE.mailboxes[0]!] }));
    assert.equal(checkDeletionGuard(three, options), undefined, 'removing one of two is within the floor');
    assert.equal(checkDeletionGuard(diffDirectories(undefined, build({ mailboxes: [] })), options), undefined, 'nothing held, nothing to protect');
  });

  test('the interval is jittered within bounds and the backoff doubles up to its cap', () => {
    assert.equal(nextSyncDelayMs(100, 0.1, () => 0), 90_000);
    assert.equal(nextSyncDelayMs(100, 0.1, () => 1), 110_000);
    assert.deepEqual([1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, 1, 5, () => 0)), [1000, 2000, 4000, 5000, 5000]);
    assert.equal(backoffDelayMs(1, 1, 5, () => 1), 800);
  });
});
