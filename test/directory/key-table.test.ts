import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Directory, KEY_ALIAS, KEY_CATCH_ALL, KEY_MAILBOX } from '../../src/directory/directory.js';
import { hashBytes } from '../../src/directory/key-bytes.js';

// The index's hash table keeps, per slot, where a key's header is and a tag of the key's hash; a
// lookup reads the arena only on a matching tag. With 40k keys, probe runs and tags that match by
// chance both occur: every key must still be found, as itself, from a string and from bytes, and
// every key with its local part shifted by a byte (same length, so only the bytes tell) must be a miss.

const MAILBOXES = 20_000;
const address = (i: number): string => `user${i}@d${i % 7}.example`;
const alias = (i: number): string => `alias.${i}@d${i % 7}.example`;

test('every key of a large layer is found as itself, and near misses are not found', () => {
  const dir = Directory.build({
    domains: Array.from({ length: 7 }, (_, d) => `d${d}.example`),
    mailboxes: Array.from({ length: MAILBOXES }, (_, i) => ({ address: address(i), aliases: [alias(i), ...(i < 7 ? [`@d${i}.example`] : [])] })),
    lists: [],
  }, { strict: true, source: 'test' });
  const find = (key: string): number => {
    const bytes = Buffer.from(`xx${key}yy`);
    const k = dir.findKeyBytes(bytes, 2, bytes.length - 2, hashBytes(bytes, 2, bytes.length - 2));
    assert.equal(dir.findKey(key), k, `${key}: the string and the bytes find the same key`);
    return k;
  };
  const expect = (key: string, kind: number, owner: number): void => {
    const k = find(key);
    assert.ok(k >= 0, `${key} is found`);
    assert.equal(dir.keyKind(k), kind, key);
    assert.equal(dir.mailboxAddress(dir.keyTarget(k)), address(owner), `${key} names its mailbox`);
  };
  for (let i = 0; i < MAILBOXES; i++) {
    expect(address(i), KEY_MAILBOX, i);
    expect(alias(i), KEY_ALIAS, i);
    // A byte taken from the front of the local part and one added at its end: the same length, a different key.
    assert.equal(find(address(i).replace('@', 'x@').replace(/^user/, 'use')), -1);
    assert.equal(find(alias(i).replace('@', '_@').replace(/^alias\./, 'alias')), -1);
  }
  for (let d = 0; d < 7; d++) expect(`@d${d}.example`, KEY_CATCH_ALL, d);
  assert.equal(find('@d7.example'), -1);
});
