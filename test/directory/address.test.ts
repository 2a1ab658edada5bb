import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { addressKey, lookupKey, parseAddress } from '../../src/directory/address.js';

// lookupKey is the build's and the string path's fast form of addressKey(parseAddress(raw)): it
// returns the key itself when it is already canonical, and remembers the last plain domain it
// saw. Every key of a directory goes through it, so a wrong fast answer would index an address
// a lookup never finds, or accept one Postfix could never send.

const slow = (raw: string): string | undefined => {
  const parsed = parseAddress(raw);
  return parsed && addressKey(parsed);
};

const parts = fc.constantFrom('a', 'b.c', 'x+y', 'A', 'ö', ' ', '"', '<', '\\', '@', '.', '-', '', 'd.example', 'D.example', 'e.example', 'bücher.example', 'd', 'd.example.', '[1.2.3.4]');
const raw = fc.array(parts, { maxLength: 5 }).map((p) => p.join(''));

describe('lookupKey', () => {
  test('an empty domain is refused before any domain was remembered', () => {
    assert.equal(lookupKey('a@'), undefined);
  });

  test('answers as addressKey(parseAddress(raw)) for any key, in any order (the remembered domain included)', () => {
    fc.assert(fc.property(fc.array(raw, { minLength: 1, maxLength: 20 }), (keys) => {
      for (const k of keys) assert.equal(lookupKey(k), slow(k), JSON.stringify(k));
    }), { numRuns: 2000 });
  });

  test('a key that only shares the length or the end of the domain before it is checked whole', () => {
    const keys = ['a@d.example', 'a@', 'b@e.example', 'c@-.example', 'c@x_.example', 'd@e.example', 'e@@e.example', 'f@E.example', 'G@e.example', 'h@ee.example'];
    for (const key of keys) assert.equal(lookupKey(key), slow(key), key);
    assert.deepEqual(['a@', 'e@@e.example', 'f@E.example', 'G@e.example'].map(lookupKey), [undefined, undefined, 'f@e.example', 'g@e.example']);
  });
});
