import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressKey, normalizeDomain, parseAddress } from '../../src/directory/address.js';
import { patchBetween } from '../../src/directory/directory-changes.js';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import { Directory } from '../../src/directory/directory.js';
import { indexDirectory, patchIndexed } from '../../src/directory/indexed-directory.js';

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
      const patch = patchBetween(indexed.indexes.data, target);
      indexed = patchIndexed(indexed, JSON.parse(JSON.stringify(patch)));
      const full = indexDirectory(target);
      const probes = probesOf(V1, ...STEPS.map(([, d]) => d));
      assert.deepEqual(observable(indexed.directory, probes), observable(full.directory, probes), what);
    }
  });
});
