import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClaimTable } from '../../src/directory/claim-table.js';
import { Directory } from '../../src/directory/directory.js';
import { DirectoryError } from '../../src/errors.js';

describe('claim table (which entry claimed an address during a build)', () => {
  test('the first claim wins and later ones learn who holds the key, through growth', () => {
    const t = new ClaimTable();
    for (let i = 0; i < 5000; i++) assert.equal(t.claim(`user${i}@example.com`, i), -1);
    assert.equal(t.claim('user42@example.com', 9999), 42);
    assert.equal(t.get('user4999@example.com'), 4999);
    assert.equal(t.get('nobody@example.com'), -1);
    assert.equal(t.size, 5000);
  });

  test('keys whose hashes collide stay apart', () => {
    const t = new ClaimTable(512, () => 7);
    assert.equal(t.claim('a@example.com', 1), -1);
    assert.equal(t.claim('b@example.com', 2), -1);
    assert.equal(t.claim('a@example.com', 3), 1);
    for (let i = 0; i < 600; i++) t.claim(`c${i}@example.com`, 10 + i);
    assert.deepEqual([t.get('a@example.com'), t.get('b@example.com'), t.get('c599@example.com'), t.get('d@example.com')], [1, 2, 609, -1]);
  });

  test('non-ASCII keys are distinct from their look-alikes', () => {
    const t = new ClaimTable();
    t.claim('jörg@bücher.example', 1);
    assert.equal(t.get('jorg@bücher.example'), -1);
    assert.equal(t.claim('jörg@bücher.example', 2), 1);
  });
});

describe('directory builds with many entries', () => {
  const problems = (data: unknown): string[] => {
    try {
      Directory.build(data, { strict: true, source: 'test' });
      return [];
    } catch (err) {
      return (err as DirectoryError).problems.map((p) => `${p.where}: ${p.reason}`);
    }
  };

  test('a clash after thousands of entries still names both places', () => {
    const mailboxes: { address: string; aliases?: string[] }[] = Array.from({ length: 3000 }, (_, i) => ({ address: `u${i}@example.com`, aliases: [`a${i}@example.com`] }));
    mailboxes.push({ address: 'late@example.com', aliases: ['A17@Example.com', 'u2999@example.com'] }, { address: 'U5@example.com' });
    assert.deepEqual(problems({ mailboxes }), [
      'mailboxes[3001] (U5@example.com): duplicate mailbox (already at mailboxes[5] (u5@example.com))',
      'mailboxes[3000] (late@example.com) aliases[0] (A17@Example.com): duplicate alias (already at mailboxes[17] (u17@example.com) aliases[0] (a17@example.com))',
      'mailboxes[3000] (late@example.com) aliases[1] (u2999@example.com): alias is also a mailbox (already at mailboxes[2999] (u2999@example.com))',
    ]);
  });

  test('an IDN domain written as Unicode and as ACE is one address', () => {
    assert.deepEqual(problems({ mailboxes: [{ address: 'jörg@bücher.example' }, { address: 'jörg@xn--bcher-kva.example' }] }), [
      'mailboxes[1] (jörg@xn--bcher-kva.example): duplicate mailbox (already at mailboxes[0] (jörg@bücher.example))',
    ]);
  });

  test('a refused duplicate does not change how its domain is written (virtual_mailbox_domains answer)', () => {
    const dir = Directory.build({ mailboxes: [{ address: 'jörg@bücher.example' }, { address: 'jörg@xn--bcher-kva.example' }] }, { strict: false, source: 'test' });
    assert.equal(dir.hostedDomain('xn--bcher-kva.example'), 'bücher.example');
  });

  test('a lenient build skips the clashing entries and keeps the rest', () => {
    const mailboxes = Array.from({ length: 2000 }, (_, i) => ({ address: `u${i % 1500}@example.com` }));
    const dir = Directory.build({ mailboxes }, { strict: false, source: 'test' });
    assert.equal(dir.mailboxCount, 1500);
    assert.equal(dir.problems.length, 500);
    assert.equal(dir.mailbox('u1499@example.com')?.address, 'u1499@example.com');
  });
});
