import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSteps } from '../../src/directory/build-steps.js';
import { Directory } from '../../src/directory/directory.js';
import { patchDirectory } from '../../src/directory/indexed-directory.js';

/** Addresses in an order unrelated to their sort order (a fixed shuffle). */
function shuffled(n: number): string[] {
  const out = Array.from({ length: n }, (_, i) => `u${(i * 7919) % n}.${i % 13}@d${i % 3}.example`);
  for (let i = n - 1, seed = 42; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test('user iteration order: every live mailbox once, sorted, across sort runs, merges and patched layers', () => {
  // Sizes around the run length (2,048) and its doublings, where merge boundaries fall.
  for (const n of [1, 2047, 2048, 2049, 4097, 6001, 9000]) {
    const addresses = shuffled(n);
    let dir = Directory.build({ mailboxes: addresses.map((address) => ({ address })) }, { strict: true, source: 't' });
    const orderOf = (d: Directory): string[] => Array.from(runSteps(d.sortedMailboxRefSteps()), (ref) => d.mailboxAddress(ref));
    // A fresh build is one layer, whose own order is the answer.
    assert.deepEqual(orderOf(dir), [...addresses].sort(), `${n} mailboxes, one layer`);
    // Removals alone: the entries killed in that layer are skipped.
    const gone = addresses.filter((_, i) => i % 3 === 0);
    const removed = patchDirectory(dir, { mailboxes: { put: [], del: gone }, lists: { put: [], del: [] } });
    assert.deepEqual(orderOf(removed), addresses.filter((_, i) => i % 3 !== 0).sort(), `${n} mailboxes, a third removed`);
    // A patch that removes some, replaces some and adds some: live entries span layers.
    const del = addresses.slice(0, Math.floor(n / 10));
    const put = [...addresses.slice(n - 3).map((address) => ({ address, quotaBytes: 1 })), { address: `added${n}@d0.example` }];
    dir = patchDirectory(dir, { mailboxes: { put, del }, lists: { put: [], del: [] } });
    const expected = [...new Set([...addresses.filter((a) => !del.includes(a)), ...put.map((m) => m.address)])].sort();
    assert.deepEqual(orderOf(dir), expected, `${n} mailboxes`);
    assert.equal(dir.sortedMailboxRefs(), dir.sortedMailboxRefs(), 'kept with the snapshot');
  }
});
