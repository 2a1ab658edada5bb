import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Directory } from '../../src/directory/directory.js';
import { IdTable } from '../../src/directory/id-table.js';

// Ids as providers send them: mostly plain, some with quotes, backslashes, control characters
// or non-ASCII text (escaped in the JSON, or not), some shared by two mailboxes, some missing.
const id = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,12}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('a"b', 'c\\d', 'tab\there', 'é-ß', '😀', '\u0001', '') },
);
const mailbox = fc.record({ local: fc.stringMatching(/^[a-z]{1,6}$/), id: fc.option(id, { nil: undefined }) });

test('the mailboxes holding a provider id are those whose entry says so, every one of them', () => {
  fc.assert(fc.property(fc.array(mailbox, { maxLength: 40 }), fc.array(id, { maxLength: 5 }), (mbs, extra) => {
    const seen = new Set<string>();
    const mailboxes = mbs.filter((m) => !seen.has(m.local) && seen.add(m.local)).map((m, i) => ({ address: `${m.local}${i}@example.com`, ...(m.id !== undefined && { id: m.id }) }));
    const dir = Directory.build({ mailboxes }, { strict: true, source: 't' });
    const p = dir.parts.layers[0]!.index;
    for (const want of [...mailboxes.flatMap((m) => (m.id === undefined ? [] : [m.id])), ...extra]) {
      const expected = Array.from({ length: p.mailboxCount }, (_, i) => i).filter((i) => p.mailboxEntry(i).id === want);
      assert.deepEqual(p.mailboxesWithId(want), expected, JSON.stringify(want));
    }
  }), { numRuns: 300 });
});

test('ids that collide, and entries whose address or id is escaped, are told apart byte for byte', () => {
  // Canonical entries written directly: addresses a build would refuse reach the parse fallback.
  const address = fc.oneof(fc.stringMatching(/^[a-z]{1,4}@x\.example$/), fc.constantFrom('a\\b@x.example', 'q"uote@x.example'));
  fc.assert(fc.property(fc.array(fc.record({ address, id: fc.option(id, { nil: undefined }) }), { maxLength: 30 }), fc.array(id, { maxLength: 5 }), (entries, extra) => {
    const texts = entries.map((e) => Buffer.from(JSON.stringify(e.id === undefined ? { address: e.address } : { address: e.address, id: e.id })));
    const offsets = new Int32Array(texts.length + 1);
    texts.forEach((t, i) => (offsets[i + 1] = offsets[i]! + t.length));
    const json = { bytes: Buffer.concat(texts), offsets };
    for (const hash of [undefined, () => 7]) {
      const table = new IdTable(json, entries.length, hash);
      for (const want of [...entries.flatMap((e) => (e.id === undefined ? [] : [e.id])), ...extra]) {
        assert.deepEqual(table.mailboxesWithId(want), entries.flatMap((e, i) => (e.id === want ? [i] : [])), JSON.stringify(want));
      }
    }
  }), { numRuns: 300 });
});
