import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Directory } from '../../src/directory/directory.js';
import { indexDirectory, indexStoredDirectory } from '../../src/directory/indexed-directory.js';
import { LayeredMap } from '../../src/directory/layered-map.js';
import { entryTexts } from '../../src/directory/directory-entries.js';

// A warm start builds the snapshot from the values stored in Redis, taking canonical ones from
// their bytes unparsed. For the same values it must give exactly what the build of the parsed
// values gives: every table of the packed layer, the domains, and the same problems in the same
// order. The values mix what a leader writes (canonical texts) with hand-written odd ones.

const locals = fc.constantFrom('a', 'b', 'B', 'jörg', 'x.y+z', "o'k", '"q"', '');
const domains = fc.constantFrom('d.example', 'e.example', 'D.Example', 'bücher.example', 'xn--bcher-kva.example', 'other.example', 'nodot', 'a..b');
const address = fc.oneof(fc.tuple(locals, domains).map(([l, d]) => `${l}@${d}`), fc.constantFrom('plain', 7));
const alias = fc.oneof(address, fc.constantFrom('@d.example', '@E.example', '@bücher.example', '@xn--bcher-kva.example', '@', '@nodot'));
const mailbox = fc.record({
  address,
  id: fc.constantFrom('1', '2', 'ü', 'a"b', 3),
  aliases: fc.oneof(fc.array(alias, { maxLength: 3 }), fc.constant('x@d.example')),
  quotaBytes: fc.constantFrom(0, 1024, 2 ** 30, '1024', -1, 1.5, 2 ** 60),
  quota: fc.constantFrom('2G', 'lots'),
  enabled: fc.constantFrom(true, false, 'yes'),
  passwordHashes: fc.constantFrom(['{PLAIN}pw'], ['bad']),
  passwordHash: fc.constant('{PLAIN}old'),
}, { requiredKeys: ['address'] });
/** What most stored entries are: lower-case ASCII addresses, plain fields. */
const plainAddress = fc.tuple(fc.constantFrom('a', 'b', 'c', 'x.y+z', "o'k"), fc.constantFrom('d.example', 'e.example', 'other.example')).map(([l, d]) => `${l}@${d}`);
const plainMailbox = fc.record({
  address: plainAddress,
  id: fc.constantFrom('1', '2', ''),
  aliases: fc.array(fc.oneof(plainAddress, fc.constantFrom('@d.example', '@e.example')), { maxLength: 3 }),
  quotaBytes: fc.constantFrom(0, 1024, 2 ** 30),
  enabled: fc.boolean(),
}, { requiredKeys: ['address'] });
const plainList = fc.record({ address: plainAddress, id: fc.constant('L1'), members: fc.array(plainAddress, { minLength: 1, maxLength: 3 }), senders: fc.array(plainAddress, { maxLength: 1 }) }, { requiredKeys: ['address', 'members'] });
const list = fc.record({
  address,
  id: fc.constantFrom('L1', 5),
  members: fc.oneof(fc.array(address, { maxLength: 3 }), fc.constant('m@d.example')),
  senders: fc.array(alias, { maxLength: 2 }),
}, { requiredKeys: ['address', 'members'] });
/** How a value was written: as JSON.stringify writes it, fields reversed, or with spaces. */
const form = fc.constantFrom('plain', 'reversed', 'spaced');
const written = <T>(entry: fc.Arbitrary<T>) => fc.tuple(entry, form).map(([e, f]) => {
  const v = f === 'reversed' ? Object.fromEntries(Object.entries(e as object).reverse()) : e;
  return JSON.stringify(v, null, f === 'spaced' ? 1 : undefined);
});
const data = fc.record({
  domains: fc.option(fc.constant(['d.example', 'e.example', 'bücher.example']), { nil: undefined }),
  /** Entries first built by a leader: their canonical texts are what Redis holds. */
  canonical: fc.array(fc.oneof({ arbitrary: plainMailbox, weight: 4 }, { arbitrary: mailbox, weight: 1 }), { maxLength: 8 }),
  canonicalLists: fc.array(fc.oneof(plainList, list), { maxLength: 3 }),
  /** Then written as they come, shuffled in among the canonical ones. */
  mailboxes: fc.array(written(fc.oneof(plainMailbox, mailbox)), { maxLength: 4 }),
  lists: fc.array(written(fc.oneof(plainList, list)), { maxLength: 2 }),
  seed: fc.integer(),
});

/** Every table of a one-layer snapshot, its domains and its problems. */
function layout(dir: Directory): unknown {
  const p = dir.parts.layers[0]!.index;
  const keys = Array.from({ length: p.keyCount }, (_, k) => [p.key(k), p.kindOf(k), p.targetOf(k), p.targetEnabled(k), p.targetPlain(k), p.replyKey(k), p.find(p.key(k))]);
  const mailboxes = Array.from({ length: p.mailboxCount }, (_, i) => [p.mailboxText(i), p.mailboxKeys[i], p.mailboxAddress(i), p.mailboxFlags[i], p.domainNames[p.mailboxDomain[i]!]]);
  const lists = Array.from({ length: p.listCount }, (_, i) => [p.listText(i), p.listKey[i]]);
  return {
    layers: dir.parts.layers.length, keys, mailboxes, lists, ends: p.mailboxKeys[p.mailboxCount], domains: [...dir.parts.domains], explicit: dir.explicitDomains ?? null,
    counts: dir.parts.domainCounts && [...dir.parts.domainCounts], problems: dir.problems, records: dir.records ? [...dir.records] : null,
  };
}

const shuffled = <T>(items: T[], seed: number): T[] => items.map((v, i) => ({ v, k: Math.imul(i + 1, seed | 1) >>> 0 })).sort((a, b) => a.k - b.k).map((x) => x.v);

/** The values Redis would hold for `d`: the canonical texts of a build, then the hand-written ones, shuffled. */
function storedValues(d: typeof data extends fc.Arbitrary<infer T> ? T : never): { mailboxes: string[]; lists: string[] } {
  const texts = entryTexts(Directory.build({ domains: d.domains, mailboxes: d.canonical, lists: d.canonicalLists }, { strict: false, source: 'leader' }));
  return {
    mailboxes: shuffled([...texts.mailboxes.values(), ...d.mailboxes], d.seed),
    lists: shuffled([...texts.lists.values(), ...d.lists], d.seed),
  };
}

/** Both warm-start builds of the same stored values: parsed (the build before) and from the bytes. */
function bothBuilds(domainList: readonly string[] | undefined, mailboxes: string[], lists: string[], records?: Record<string, unknown>): [unknown, unknown] {
  const parsed = indexDirectory({ ...(domainList && { domains: [...domainList] }), mailboxes: mailboxes.map((v) => JSON.parse(v)), lists: lists.map((v) => JSON.parse(v)), ...(records && { records }) });
  const bytes = (values: string[]) => values.map((v) => Buffer.from(v, 'utf8'));
  const stored = indexStoredDirectory({ ...(domainList && { domains: domainList }), mailboxes: bytes(mailboxes), lists: bytes(lists), ...(records && { records: LayeredMap.fromObject(records) }) });
  return [layout(stored.directory), layout(parsed.directory)];
}

describe('warm-start build from stored bytes', () => {
  test('equals the build of the parsed values: same tables, domains and problems', () => {
    fc.assert(fc.property(data, (d) => {
      const { mailboxes, lists } = storedValues(d);
      const [stored, parsed] = bothBuilds(d.domains, mailboxes, lists);
      assert.deepEqual(stored, parsed);
    }), { numRuns: 3000 });
  });

  test('clashes between canonical entries are reported as the parsed build reports them', () => {
    const mailboxes = [
      '{"address":"a@d.example","aliases":["x@d.example","@d.example"]}',
      '{"address":"a@d.example"}',
      '{"address":"b@d.example","aliases":["x@d.example","a@d.example","y@other.example","@d.example","z@d.example"],"quotaBytes":5,"enabled":false}',
      '{"address":"c@other.example","id":"7"}',
      '{"address":"l@d.example"}',
    ];
    const lists = ['{"address":"l@d.example","members":["a@d.example"]}', '{"address":"m@d.example","id":"9","members":["a@d.example","q@elsewhere.example"]}'];
    const [stored, parsed] = bothBuilds(['d.example'], mailboxes, lists, { 'User/1': { id: 1 } });
    assert.deepEqual(stored, parsed);
    assert.deepEqual((stored as { problems: unknown[] }).problems.length, 7);
  });

  test('canonical values are taken unparsed', () => {
    const texts = entryTexts(Directory.build({ mailboxes: Array.from({ length: 50 }, (_, i) => ({ address: `u${i}@d.example`, aliases: [`a${i}@d.example`], quotaBytes: 1024, enabled: i % 2 === 0 })), lists: [{ address: 'l@d.example', members: ['u1@d.example'] }] }, { strict: true, source: 'test' }));
    const parse = JSON.parse;
    let parsed = 0;
    JSON.parse = ((...args: Parameters<typeof parse>) => (parsed++, parse(...args))) as typeof parse;
    let dir: Directory;
    try {
      dir = indexStoredDirectory({ mailboxes: [...texts.mailboxes.values()].map((t) => Buffer.from(t)), lists: [...texts.lists.values()].map((t) => Buffer.from(t)) }).directory;
    } finally {
      JSON.parse = parse;
    }
    assert.equal(parsed, 0);
    assert.equal(dir.mailboxCount, 50);
    assert.equal(dir.aliasOwner('a7@d.example')?.address, 'u7@d.example');
    assert.equal(dir.mailbox('u7@d.example')?.enabled, false);
  });

  test('a value that is not JSON is reported and skipped; the rest is served', () => {
    const dir = indexStoredDirectory({
      mailboxes: ['{"address":"a@d.example"}', '{"address":"b@d.', '{"address":"c@d.example"}'].map((t) => Buffer.from(t)),
      lists: [Buffer.from('nope')],
    }).directory;
    assert.deepEqual(dir.problems, [{ where: 'mailboxes[1]', reason: 'stored value is not JSON' }, { where: 'lists[0]', reason: 'stored value is not JSON' }]);
    assert.deepEqual([dir.mailbox('a@d.example')?.address, dir.mailbox('c@d.example')?.address], ['a@d.example', 'c@d.example']);
  });
});
