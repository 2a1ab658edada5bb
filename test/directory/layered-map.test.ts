import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { applyRecords, recordsBetween } from '../../src/directory/directory-changes.js';
import { LayeredMap } from '../../src/directory/layered-map.js';

// A LayeredMap stands in for the plain objects and Maps the records and SCIM indexes used to be
// copied into on every write: each version must read exactly as a Map given the same changes
// (values, size, and the order of iteration), old versions must stay as they were while later
// ones are edited (branches included), and this must hold across layer merges and compactions.

const key = fc.integer({ min: 0, max: 299 }).map((n) => `k${n}`);
const change = fc.oneof(fc.tuple(fc.constant('set' as const), key, fc.integer()), fc.tuple(fc.constant('delete' as const), key, fc.constant(0)));
/** One edit: a few changes, made on the newest version or (sometimes) an older one. */
const edit = fc.record({ changes: fc.array(change, { minLength: 1, maxLength: 6 }), from: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }) });

function assertSame(map: LayeredMap<number>, model: Map<string, number>): void {
  assert.deepEqual([...map], [...model]);
  assert.equal(map.size, model.size);
}

describe('LayeredMap', () => {
  test('every version reads as a Map given the same changes, and stays so while others are edited', () => {
    let compactions = 0;
    fc.assert(fc.property(fc.array(fc.tuple(key, fc.integer()), { maxLength: 200 }), fc.array(edit, { minLength: 400, maxLength: 400 }), (start, edits) => {
      const versions = [{ map: LayeredMap.of(start), model: new Map(start) }];
      for (const { changes, from } of edits) {
        const base = versions[from === null ? versions.length - 1 : from % versions.length]!;
        const e = base.map.edit();
        const model = new Map(base.model);
        for (const [op, k, v] of changes) {
          if (op === 'set') e.set(k, v), model.set(k, v);
          else e.delete(k), model.delete(k);
          assert.equal(e.get(k), model.get(k));
          assert.equal(e.has(k), model.has(k));
        }
        const map = e.done();
        for (const [, k] of changes) assert.equal(map.get(k), model.get(k));
        assertSame(map, model);
        if (map.keysChangedSince(base.map) === undefined) compactions++;
        versions.push({ map, model });
      }
      for (const v of versions) assertSame(v.map, v.model);
    }), { numRuns: 20 });
    assert.ok(compactions > 20, `only ${compactions} compactions`);
  });

  test('recordsBetween gives the patch that applyRecords turns one version into the other with', () => {
    fc.assert(fc.property(fc.array(fc.tuple(key, fc.integer()), { maxLength: 100 }), fc.array(edit, { maxLength: 60 }), fc.nat(), (start, edits, pick) => {
      const versions = [LayeredMap.of<unknown>(start)];
      for (const { changes } of edits) {
        const e = versions.at(-1)!.edit();
        for (const [op, k, v] of changes) op === 'set' ? e.set(k, v) : e.delete(k);
        versions.push(e.done());
      }
      const before = versions[pick % versions.length]!;
      const after = versions.at(-1)!;
      const patched = applyRecords(before, recordsBetween(before, after));
      assert.deepEqual(Object.entries(patched?.toObject() ?? {}).sort(), [...after].sort());
    }), { numRuns: 200 });
  });

  test('an unchanged edit is the same version; a plain object round-trips in order', () => {
    const map = LayeredMap.fromObject({ b: 1, a: 2 });
    assert.equal(map.edit().done(), map);
    const e = map.edit();
    e.delete('missing');
    assert.equal(e.done(), map);
    assert.deepEqual(Object.keys(map.toObject()), ['b', 'a']);
  });
});
