import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attrFlag, attrList, isPasswordHash } from '../../src/providers/attribute-values.js';
import { AddressVetter, DEFAULT_ROLE_ADDRESSES } from '../../src/providers/address-trust.js';
import { GroupTree } from '../../src/providers/group-tree.js';
import { DirectoryMapper, type MappingOptions } from '../../src/providers/provider-mapping.js';

const OPTIONS: MappingOptions = {
  aliasesAttribute: 'mailAlias', quotaAttribute: 'mailQuota', enabledAttribute: 'mailEnabled',
  passwordHashAttribute: 'mailPasswordHash', mailboxGroup: '', listMailAttribute: 'mail', domains: ['example.com', 'exämple.org'],
};

describe('provider attribute mapping', () => {
  test('self-service fields: role addresses (any case, +extension) refused, unverified e-mails and aliases skipped unless accepted', () => {
    const ownership = { selfServiceEmail: true, selfServiceAliases: true, reason: 'test' };
    const strict = new DirectoryMapper(OPTIONS, () => {}, new AddressVetter(ownership, { acceptUnverified: false, roleAddresses: DEFAULT_ROLE_ADDRESSES }));
    assert.equal(strict.mailbox({ id: '1', email: 'PostMaster+x@example.com', active: true, emailVerified: true }, undefined), undefined, 'verified or not');
    assert.equal(strict.mailbox({ id: '2', email: 'eve@example.com', active: true }, undefined), undefined, 'no verified flag counts as unverified');
    assert.deepEqual(strict.mailbox({ id: '3', email: 'ann@example.com', active: true, emailVerified: true, attributes: { mailAlias: ['sales@example.com'] } }, undefined), { address: 'ann@example.com', id: '3' });
    assert.equal(strict.mailbox({ id: '4', email: 'admin@example.com', active: true, emailFromAdmin: true }, undefined)?.address, 'admin@example.com', 'an admin-set field is trusted');
    assert.deepEqual({ role: strict.stats.roleAddresses, unverified: strict.stats.unverifiedSelfService, aliases: strict.stats.selfServiceAliases }, { role: 1, unverified: 1, aliases: 1 });
    const relaxed = new DirectoryMapper(OPTIONS, () => {}, new AddressVetter(ownership, { acceptUnverified: true, roleAddresses: DEFAULT_ROLE_ADDRESSES }));
    assert.deepEqual(relaxed.mailbox({ id: '5', email: 'eve@example.com', active: true, attributes: { mailAlias: ['abuse@example.com', 'e@example.com'] } }, undefined)?.aliases, ['e@example.com']);
    assert.equal(relaxed.mailbox({ id: '6', email: 'hostmaster@example.com', active: true }, undefined), undefined);
  });

  test('attributes read the same in Keycloak (string lists) and Authentik (free JSON) shapes', () => {
    assert.deepEqual(attrList({ a: ['x@e.com', 'y@e.com'] }, 'a'), ['x@e.com', 'y@e.com']);
    assert.deepEqual(attrList({ a: 'x@e.com, y@e.com y2@e.com' }, 'a'), ['x@e.com', 'y@e.com', 'y2@e.com']);
    assert.deepEqual(attrList({ a: { nested: true } }, 'a'), []);
    assert.deepEqual(attrList(undefined, 'a'), []);
    assert.equal(attrFlag({ f: ['FALSE'] }, 'f', true), false);
    assert.equal(attrFlag({ f: true }, 'f', false), true);
    assert.equal(attrFlag({}, 'f', true), true);
    assert.equal(attrFlag({ f: 'maybe' }, 'f', true), undefined);
    assert.ok(isPasswordHash('{SHA512-CRYPT}$6$salt$hash'));
    assert.ok(!isPasswordHash('plaintext'));
  });

  test('IDN hosted domains match in either form; catch-alls and foreign aliases', () => {
    const reports: string[] = [];
    const m = new DirectoryMapper(OPTIONS, (who, why) => void reports.push(`${who}: ${why}`));
    const mb = m.mailbox({ id: '1', email: 'Zoe@xn--exmple-cua.org', active: true, attributes: { mailAlias: ['@exämple.org', '@other.net', 'not-an-address'], mailEnabled: 'perhaps' } }, undefined)!;
    assert.equal(mb.address, 'zoe@xn--exmple-cua.org');
    assert.deepEqual(mb.aliases, ['@exämple.org']);
    assert.equal(mb.enabled, false, 'an unreadable flag disables rather than guesses');
    assert.equal(m.stats.foreignAddresses, 1);
    assert.equal(m.stats.invalidAttributes, 2);
    assert.equal(reports.length, 2);
  });

  test('group cycles (possible in Authentik) do not loop', () => {
    const tree = new GroupTree([
      { id: 'a', name: 'a', parentIds: ['b'], memberIds: ['1'] },
      { id: 'b', name: 'b', parentIds: ['a'], memberIds: ['2'] },
    ]);
    assert.deepEqual([...tree.members('a')].sort(), ['1', '2']);
  });

  test('a group name held twice is refused as mailboxGroup; its path is accepted', () => {
    const tree = new GroupTree([
      { id: 'p1', name: 'team', path: '/eu/team', parentIds: [], memberIds: [] },
      { id: 'p2', name: 'team', path: '/us/team', parentIds: [], memberIds: [] },
    ]);
    assert.throws(() => tree.find('team'), /is the name of 2 groups/);
    assert.equal(tree.find('/us/team').id, 'p2');
  });
});
