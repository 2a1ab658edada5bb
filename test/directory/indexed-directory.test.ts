import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressKey, normalizeDomain, parseAddress } from '../../src/directory/address.js';
import { patchBetween } from '../../src/directory/directory-changes.js';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import { Directory } from '../../src/directory/directory.js';
import { catchAllsOf } from '../../src/directory/directory-layers.js';
import { indexDirectory, patchBetweenDirectories, patchIndexed } from '../../src/directory/indexed-directory.js';

/** Everything a lookup can observe, over every address and domain either directory mentions. */
function observable(dir: Directory, probes: { keys: string[]; domains: string[] }): unknown {
  return {
    count: dir.mailboxCount,
    sorted: dir.sortedMailboxes.map((m) => [m.address, [...m.aliases], m.quotaBytes, m.enabled]),
    keys: probes.keys.map((k) => [k, dir.mailbox(k)?.address, dir.aliasOwner(k)?.address, dir.list(k)?.members, dir.list(k)?.senders]),
    domains: probes.domains.map((d) => [d, dir.hostedDomain(d), dir.catchAll(d)?.address]),
  };
}

function probesOf(...all: DirectoryData[]): { keys: string[]; domains: string[] } {
  const addresses = all.flatMap((d) => [
    ...d.mailboxes.flatMap((m) => [m.address, ...(m.aliases ?? [])]),
    ...(d.lists ?? []).map((l) => l.address),
  ]).filter((a) => !a.startsWith('@'));
  const domains = all.flatMap((d) => [...(d.domains ?? []), ...d.mailboxes.map((m) => m.address.split('@')[1]!)]);
  return { keys: [...new Set(addresses.map((a) => addressKey(parseAddress(a)!)))], domains: [...new Set(domains.map((d) => normalizeDomain(d)!))] };
}

const canonical = (data: DirectoryData): DirectoryData => Directory.build(data, { strict: true, source: 'test' }).data;

const V1: DirectoryData = {
  mailboxes: [
    { address: 'alice@example.com', aliases: ['a@example.com', '@example.com'] },
    { address: 'bob@example.com', aliases: ['b@example.com'], quota: '1G' },
    { address: 'jörg@bücher.example', aliases: ['j@bücher.example'] },
    { address: 'carl@other.example' },
  ],
  lists: [{ address: 'team@example.com', members: ['alice@example.com', 'bob@example.com'], senders: ['a@example.com'] }],
};

const STEPS: [string, DirectoryData][] = [
  ['an alias moves to another mailbox, a quota changes', { ...V1, mailboxes: [
    { address: 'alice@example.com', aliases: ['@example.com'] },
    { address: 'bob@example.com', aliases: ['b@example.com', 'a@example.com'], quota: '2G' },
    V1.mailboxes[2]!, V1.mailboxes[3]!,
  ] }],
  ['the last mailbox of a domain goes, with it the (implicit) domain', { ...V1, mailboxes: V1.mailboxes.slice(0, 3) }],
  ['a new domain, a catch-all moves, a list changes members and is added', {
    mailboxes: [
      { address: 'alice@example.com', aliases: ['a@example.com'] },
      { address: 'bob@example.com', aliases: ['b@example.com', '@example.com'], enabled: false },
      V1.mailboxes[2]!,
      { address: 'dora@new.example', aliases: ['d@new.example'] },
    ],
    lists: [
      { address: 'team@example.com', members: ['bob@example.com'] },
      { address: 'all@new.example', members: ['dora@new.example', 'alice@example.com'], senders: ['d@new.example'] },
    ],
  }],
  ['explicit domains appear, a list and an alias address swap roles', {
    domains: ['example.com', 'bücher.example', 'new.example', 'empty.example'],
    mailboxes: [
      { address: 'alice@example.com', aliases: ['team@example.com'] },
      { address: 'dora@new.example' },
    ],
    lists: [{ address: 'a@example.com', members: ['alice@example.com'] }],
  }],
  ['explicit domains go again', { mailboxes: [{ address: 'alice@example.com' }] }],
];

describe('patching an indexed directory (follower replay)', () => {
  test('gives exactly what a full build of the patched data gives, step by step', () => {
    let indexed = indexDirectory(canonical(V1));
    for (const [what, next] of STEPS) {
      const target = canonical(next);
      const patch = patchBetween(indexed.directory.data, target);
      indexed = patchIndexed(indexed, JSON.parse(JSON.stringify(patch)));
      const full = indexDirectory(target);
      const probes = probesOf(V1, ...STEPS.map(([, d]) => d));
      assert.deepEqual(observable(indexed.directory, probes), observable(full.directory, probes), what);
    }
  });
});

/** A small deterministic generator, so a failing sequence can be replayed. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
}

describe('patching an indexed directory: many small patches', () => {
  test('stay equal to a full build through layer merges, renames, catch-all moves and deletions', () => {
    const pick = random(7);
    const domains = ['a.example', 'b.example', 'c.example'];
    const mailbox = (i: number, v: number) => ({
      address: `u${i}@${domains[i % 3]}`,
      aliases: [`x${i}v${v % 3}@${domains[i % 3]}`, ...(v % 5 === 0 ? [`@${domains[i % 3]}`] : [])],
      ...(v % 7 === 3 && { enabled: false }),
    });
    let data = canonical({ mailboxes: Array.from({ length: 60 }, (_, i) => mailbox(i, 1)), lists: [{ address: 'l@a.example', members: ['u0@a.example', 'u3@a.example'] }] });
    let indexed = indexDirectory(data);
    const probeKeys = new Set<string>();
    for (let step = 0; step < 250; step++) {
      const mailboxes = [...data.mailboxes];
      const i = pick(80);
      const at = mailboxes.findIndex((m) => m.address === `u${i}@${domains[i % 3]}`);
      // One catch-all per domain: taking one over means the previous owner drops it.
      const next = mailbox(i, pick(1000));
      if (next.aliases.some((a) => a.startsWith('@'))) {
        for (const [j, m] of mailboxes.entries()) mailboxes[j] = { ...m, aliases: (m.aliases ?? []).filter((a) => a !== next.aliases.at(-1)) };
      }
      if (at >= 0 && pick(4) === 0) mailboxes.splice(at, 1);
      else if (at >= 0) mailboxes[at] = next;
      else mailboxes.push(next);
      const target = canonical({ mailboxes, lists: mailboxes.some((m) => m.address === 'u0@a.example') ? data.lists! : [] });
      indexed = patchIndexed(indexed, JSON.parse(JSON.stringify(patchBetween(indexed.directory.data, target))));
      data = target;
      for (const m of target.mailboxes) for (const a of [m.address, ...(m.aliases ?? [])]) if (!a.startsWith('@')) probeKeys.add(a);
      const probes = { keys: [...probeKeys, 'l@a.example', 'nobody@a.example'], domains };
      assert.deepEqual(observable(indexed.directory, probes), observable(indexDirectory(target).directory, probes), `step ${step}`);
      // A merge updates the catch-all refs from the merged layer only: they must match a scan of every layer.
      assert.deepEqual(new Map(indexed.directory.catchAllRefs), catchAllsOf(indexed.directory.parts.layers), `catch-alls, step ${step}`);
    }
    assert.ok(indexed.directory.parts.layers.length <= 8);
  });

  test('a one-mailbox patch shares the packed base instead of copying it', () => {
    const data = canonical({ mailboxes: Array.from({ length: 1000 }, (_, i) => ({ address: `u${i}@example.com` })) });
    const before = indexDirectory(data).directory;
    const after = patchIndexed({ directory: before }, { mailboxes: { put: [{ address: 'new@example.com' }], del: ['u5@example.com'] }, lists: { put: [], del: [] } }).directory;
    assert.equal(after.parts.layers[0]!.index, before.parts.layers[0]!.index);
    assert.equal(after.mailboxCount, 1000);
    assert.equal(after.mailbox('u5@example.com'), undefined);
    assert.equal(after.mailbox('new@example.com')?.address, 'new@example.com');
    assert.equal(before.mailbox('u5@example.com')?.address, 'u5@example.com', 'the old snapshot is unchanged');
  });
});

describe('diffing two snapshots without parsing them', () => {
  test('gives the same patch as diffing their data', () => {
    const sorted = (p: ReturnType<typeof patchBetween>) => JSON.parse(JSON.stringify(p, (_k, v: unknown) =>
      Array.isArray(v) ? [...v].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)) : v)) as unknown;
    let before = indexDirectory(canonical(V1)).directory;
    for (const [what, next] of STEPS) {
      const after = indexDirectory(canonical(next)).directory;
      assert.deepEqual(sorted(patchBetweenDirectories(before, after)), sorted(patchBetween(before.data, after.data)), what);
      before = after;
    }
  });
});
