import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Directory } from '../../src/directory/directory.js';
import { DEFAULT_ADDRESS_RULES, type AddressRules } from '../../src/directory/resolve.js';
import { lookupSocketmap } from '../../src/lookup/socketmap-lookup.js';
import { ResolverCache } from '../../src/lookup/resolver-cache.js';
import { toSocketmapReply } from '../../src/servers/replies.js';
import { formatSocketmapReply } from '../../protocol/socketmap.js';

const DATA = {
  domains: ['example.com', 'example.net', 'bücher.example'],
  mailboxes: [
    { address: 'alice@example.com', aliases: ['a.smith@example.com', 'postmaster@example.com', '@example.net'], quota: '2G' },
    { address: 'bob@example.com' },
    { address: 'carol@example.com', enabled: false, aliases: ['c@example.com'] },
    { address: 'jörg@bücher.example', aliases: ['info@xn--bcher-kva.example'] },
    { address: 'dave@example.net' },
  ],
  lists: [
    { address: 'team@example.com', members: ['alice@example.com', 'bob@example.com', 'carol@example.com', 'friend@elsewhere.org'], senders: ['a.smith@example.com'] },
    { address: 'quiet@example.com', members: ['bob@example.com'] },
  ],
};

/** Answer as the wire payload Postfix would receive, the easiest form to read in a table. */
function answer(map: string, key: string, rules: Partial<AddressRules> = {}): string {
  const dir = Directory.build(DATA, { strict: true, source: 'test' });
  const cache = new ResolverCache({ current: () => dir, unavailableReason: () => '' }, { ...DEFAULT_ADDRESS_RULES, ...rules });
  return formatSocketmapReply(toSocketmapReply(lookupSocketmap(cache, map, key))).payload;
}

const NF = 'NOTFOUND ';
const TABLE: [map: string, key: string, expected: string, why: string][] = [
  ['domain', 'example.com', 'OK example.com', 'hosted domain'],
  ['domain', 'Example.COM', 'OK example.com', 'case-insensitive'],
  ['domain', 'sub.example.com', NF, 'no parent-domain match'],
  ['domain', 'outside.test', NF, 'foreign domain'],
  ['domain', 'bücher.example', 'OK bücher.example', 'IDN in UTF-8'],
  ['domain', 'xn--bcher-kva.example', 'OK bücher.example', 'IDN in punycode'],
  ['domain', '[127.0.0.1]', NF, 'address literal'],
  ['mailbox', 'alice@example.com', 'OK example.com/alice/', 'mailbox'],
  ['mailbox', 'Alice@Example.COM', 'OK example.com/alice/', 'postmap sends keys as typed'],
  ['mailbox', 'alice+tag@example.com', 'OK example.com/alice/', 'extension stripped'],
  ['mailbox', 'alice+@example.com', 'OK example.com/alice/', 'empty extension'],
  ['mailbox', 'a.smith@example.com', NF, 'aliases are not mailboxes'],
  ['mailbox', 'carol@example.com', NF, 'disabled mailbox is absent'],
  ['mailbox', 'jörg@xn--bcher-kva.example', 'OK bücher.example/jörg/', 'IDN mailbox by punycode'],
  ['mailbox', 'nobody@example.com', NF, 'unknown user'],
  ['mailbox', 'alice@example.com extra', NF, 'key with a space'],
  ['alias', 'a.smith@example.com', 'OK alice@example.com', 'mailbox alias'],
  ['alias', 'A.Smith@EXAMPLE.com', 'OK alice@example.com', 'cleanup sends the original case'],
  ['alias', 'a.smith+x@example.com', 'OK alice+x@example.com', 'unmatched extension propagated'],
  ['alias', 'team@example.com', 'OK alice@example.com,bob@example.com,friend@elsewhere.org', 'list; disabled member left out'],
  ['alias', 'team+news@example.com', 'OK alice+news@example.com,bob+news@example.com,friend@elsewhere.org', 'extension only on hosted targets'],
  ['alias', 'alice@example.com', NF, "a mailbox's own address is never an alias"],
  ['alias', 'alice+tag@example.com', NF, '... nor with an extension'],
  ['alias', 'dave@example.net', NF, 'a mailbox is never swallowed by the catch-all'],
  ['alias', 'anything@example.net', 'OK alice@example.com', 'catch-all'],
  ['alias', 'any+thing@example.net', 'OK alice+thing@example.com', 'catch-all keeps the extension'],
  ['alias', 'anything@example.com', NF, 'no catch-all for this domain'],
  ['alias', 'c@example.com', NF, 'alias of a disabled mailbox'],
  ['alias', 'carol@example.com', NF, 'disabled mailbox is not caught by anything'],
  ['alias', 'info@bücher.example', 'OK jörg@bücher.example', 'IDN alias in UTF-8'],
  ['alias', 'example.com', NF, 'bare domain (virtual_alias_domains probe)'],
  ['alias', '"john doe"@example.net', NF, 'quoted local part is never caught'],
  ['alias', 'john doe@example.net', NF, 'unquoted form with a space'],
  ['alias', 'a@b@example.net', NF, 'several @'],
  ['alias', 'user@[127.0.0.1]', NF, 'address literal'],
  ['alias', '*', NF, 'the transport-maps wildcard'],
  ['alias', '@example.net', NF, 'the catch-all key itself'],
  ['alias', '', NF, 'empty key'],
  ['senders', 'alice@example.com', 'OK alice@example.com', 'own address'],
  ['senders', 'postmaster@example.com', 'OK alice@example.com', 'alias belongs to its owner'],
  ['senders', 'alice+lists@example.com', 'OK alice@example.com', 'own address with extension'],
  ['senders', 'team@example.com', 'OK alice@example.com', 'list senders (named by alias, logged in by mailbox)'],
  ['senders', 'quiet@example.com', NF, 'list without senders'],
  ['senders', 'someone@example.net', 'OK alice@example.com', 'catch-all owner'],
  ['senders', 'carol@example.com', NF, 'disabled mailbox cannot send'],
  ['senders', 'stranger@outside.test', NF, 'foreign address'],
  ['nosuchmap', 'x', 'PERM unknown map "nosuchmap"; known maps: domain, mailbox, alias, senders', 'unknown map name'],
];

describe('address resolution', () => {
  for (const [map, key, expected, why] of TABLE) {
    test(`${map} ${JSON.stringify(key)} -> ${expected.trim()} (${why})`, () => {
      assert.equal(answer(map, key), expected);
    });
  }

  test('several delimiter characters each split an extension', () => {
    assert.equal(answer('mailbox', 'alice-tag@example.com', { recipientDelimiter: '+-' }), 'OK example.com/alice/');
    assert.equal(answer('mailbox', 'alice-tag@example.com'), NF);
  });

  test('an empty recipient delimiter turns extensions off', () => {
    assert.equal(answer('mailbox', 'alice+tag@example.com', { recipientDelimiter: '' }), NF);
  });

  test('extension propagation can be turned off', () => {
    assert.equal(answer('alias', 'a.smith+x@example.com', { propagateExtension: false }), 'OK alice@example.com');
  });

  test('disabled mailboxes can be kept receiving', () => {
    assert.equal(answer('mailbox', 'carol@example.com', { acceptDisabled: true }), 'OK example.com/carol/');
    assert.equal(answer('alias', 'c@example.com', { acceptDisabled: true }), 'OK carol@example.com');
  });

  test('before any directory is loaded every map answers TEMP, never NOTFOUND', () => {
    const cache = new ResolverCache({ current: () => undefined, unavailableReason: () => 'directory not loaded yet' }, DEFAULT_ADDRESS_RULES);
    for (const map of ['domain', 'mailbox', 'alias', 'senders']) {
      const payload = formatSocketmapReply(toSocketmapReply(lookupSocketmap(cache, map, 'alice@example.com'))).payload;
      assert.equal(payload, 'TEMP directory not loaded yet', map);
    }
  });
});
