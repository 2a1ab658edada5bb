import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import { Directory } from '../../src/directory/directory.js';
import { patchDirectory } from '../../src/directory/indexed-directory.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { diffDirectories, isEmptyDiff, summarizeDiff } from '../../src/sync/directory-diff.js';
import { formatDiff } from '../../src/sync/sync-command.js';
import { SyncEngine } from '../../src/sync/sync-engine.js';
import { captureLogger } from '../helpers/service.js';

const build = (data: DirectoryData): Directory => Directory.build(data, { strict: true, source: 'test' });
const many = (n: number): DirectoryData => ({
  mailboxes: [
    ...Array.from({ length: n }, (_, i) => ({ address: `u${i}@example.com`, aliases: [`a${i}@example.com`] })),
    { address: 'postmaster@example.com', aliases: ['@example.com'] },
  ],
  lists: [{ address: 'all@example.com', members: ['u0@example.com'] }],
});
const none = { added: 0, removed: 0, changed: 0 };

describe('directory diff over packed snapshots', () => {
  test('a first load counts everything as added and lists only the first entries', () => {
    const diff = diffDirectories(undefined, build(many(300)));
    assert.deepEqual(summarizeDiff(diff), { mailboxes: { ...none, added: 301 }, aliases: { ...none, added: 301 }, lists: { ...none, added: 1 } });
    assert.deepEqual(diff.domains, { added: ['example.com'], removed: [] });
    const text = formatDiff(diff, 2).split('\n');
    assert.deepEqual(text.slice(0, 8), [
      'mailboxes: +301 -0 ~0', '  + u0@example.com', '  + u1@example.com', '  ... and 299 more (--all lists everything)',
      'aliases: +301 -0 ~0', '  + a0@example.com -> u0@example.com', '  + a1@example.com -> u1@example.com', '  ... and 299 more (--all lists everything)',
    ]);
    assert.ok(formatDiff(diff, Infinity).includes('  + @example.com -> postmaster@example.com'), '--all lists the catch-all too');
  });

  test('a resync of the same data, or of a patched copy of it, changes nothing', () => {
    const data = many(50);
    assert.ok(isEmptyDiff(diffDirectories(build(data), build(data))));
    const patched = patchDirectory(build(data), { mailboxes: { put: [{ address: 'u7@example.com', aliases: ['a7@example.com'] }], del: [] }, lists: { put: [], del: [] } });
    assert.equal(patched.parts.layers.length, 2, 'the patch is a layer of its own');
    assert.ok(isEmptyDiff(diffDirectories(patched, build(data))));
    assert.ok(isEmptyDiff(diffDirectories(build(data), patched)));
  });

  test('removing mailboxes removes their aliases; an owner change is listed with the old owner', () => {
    const data = many(3);
    const removed = diffDirectories(build(data), build({ ...data, mailboxes: data.mailboxes.slice(1) }));
    assert.deepEqual(summarizeDiff(removed).aliases, { ...none, removed: 1 });
    assert.equal(removed.aliases.list(10)[0]?.kind, 'removed');
    const moved = build({ mailboxes: [{ address: 'u0@example.com' }, { address: 'u1@example.com', aliases: ['a1@example.com', 'a0@example.com'] }, { address: 'new@example.com', aliases: ['a2@example.com'] }] });
    const diff = diffDirectories(build({ mailboxes: data.mailboxes.slice(0, 3) }), moved);
    assert.deepEqual(summarizeDiff(diff), {
      mailboxes: { added: 1, removed: 1, changed: 2 }, aliases: { added: 0, removed: 0, changed: 2 }, lists: none,
    });
    assert.equal(formatDiff(diff), [
      'mailboxes: +1 -1 ~2', '  + new@example.com', '  - u2@example.com', '  ~ u0@example.com (aliases)', '  ~ u1@example.com (aliases)',
      'aliases: +0 -0 ~2', '  ~ a0@example.com -> u1@example.com (was u0@example.com)', '  ~ a2@example.com -> new@example.com (was u2@example.com)', '',
    ].join('\n'));
  });

  test('an IDN address rewritten in its other form is a removal and an addition, as before', () => {
    const diff = diffDirectories(build({ mailboxes: [{ address: 'jörg@bücher.example' }] }), build({ mailboxes: [{ address: 'jörg@xn--bcher-kva.example' }] }));
    assert.deepEqual(summarizeDiff(diff).mailboxes, { added: 1, removed: 1, changed: 0 });
    assert.deepEqual(diff.domains, { added: ['xn--bcher-kva.example'], removed: ['bücher.example'] });
  });

  test('the sync engine logs a resync of an unchanged directory as zero changes', async () => {
    const { logger, lines } = captureLogger();
    const provider = { name: 'scripted', strict: true, fetchDirectory: async () => many(20) };
    const sync = new SyncEngine({ provider, store: new MemoryStore(), logger, intervalSeconds: 0 });
    await sync.start();
    const again = await sync.syncNow();
    assert.equal(again.status, 'applied');
    const loaded = lines().filter((l) => l.msg === 'directory loaded');
    assert.deepEqual(loaded.map((l) => l.changes), [
      { mailboxes: { ...none, added: 21 }, aliases: { ...none, added: 21 }, lists: { ...none, added: 1 } },
      { mailboxes: none, aliases: none, lists: none },
    ]);
    await sync.stop();
  });
});
