import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import { Directory } from '../../src/directory/directory.js';
import { DirectoryError } from '../../src/errors.js';
import { FileProvider } from '../../src/providers/file-provider.js';
import { waitFor } from '../helpers/net.js';
import { startFileService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

function problemsOf(data: unknown): string[] {
  try {
    Directory.build(data, { strict: true, source: 'dir.yaml' });
    return [];
  } catch (err) {
    assert.ok(err instanceof DirectoryError);
    return err.problems.map((p) => `${p.where}: ${p.reason}`);
  }
}

describe('directory validation', () => {
  test('reports every problem with its entry and reason, not just the first', () => {
    const problems = problemsOf({
      domains: ['example.com'],
      mailboxes: [
        { address: 'alice@example.com', aliases: ['a@example.com'] },
        { address: 'not-an-address' },
        { address: 'alice@example.com' },
        { address: 'bob@example.com', aliases: ['alice@example.com'], quota: 'lots' },
        { address: 'carol@other.org' },
      ],
      lists: [{ address: 'a@example.com', members: ['bob@example.com'] }, { address: 'team@example.com', members: ['nope'] }],
    });
    assert.deepEqual(problems, [
      'mailboxes[1] (not-an-address): address is missing or not an e-mail address',
      'mailboxes[2] (alice@example.com): duplicate mailbox (already at mailboxes[0] (alice@example.com))',
      'mailboxes[3] (bob@example.com): quota "lots" is not a size like 2G',
      'mailboxes[4] (carol@other.org): domain other.org is not a hosted domain',
      'lists[0] (a@example.com): list is also a alias (already at mailboxes[0] (alice@example.com) aliases[0] (a@example.com))',
      'lists[1] (team@example.com) members[0]: "nope" is not an e-mail address',
    ]);
  });

  test('an alias that is also a mailbox is refused', () => {
    assert.deepEqual(problemsOf({ mailboxes: [{ address: 'bob@example.com' }, { address: 'alice@example.com', aliases: ['Bob@Example.com'] }] }), [
      'mailboxes[1] (alice@example.com) aliases[0] (Bob@Example.com): alias is also a mailbox (already at mailboxes[0] (bob@example.com))',
    ]);
  });

  test('lenient builds skip broken entries and keep the rest', () => {
    const dir = Directory.build({ mailboxes: [{ address: 'ok@example.com' }, { address: 'broken' }] }, { strict: false, source: 'idp' });
    assert.equal(dir.mailboxCount, 1);
    assert.equal(dir.problems.length, 1);
  });

  test('a YAML syntax error names the file, line and column', async () => {
    const tmp = tempDir();
    const file = join(tmp.path, 'dir.yaml');
    writeFileSync(file, 'mailboxes:\n  - address: alice@example.com\n    aliases: [unclosed\n');
    await assert.rejects(new FileProvider(file).fetchDirectory(), (err: unknown) => {
      assert.ok(err instanceof DirectoryError);
      assert.match(err.message, new RegExp(`^${file}: 1 problem`));
      assert.match(err.problems[0]!.where, /^line \d+, column \d+$/);
      return true;
    });
    tmp.remove();
  });
});

describe('large directory files (parsed on a thread of their own)', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  /** A read while a directory is served: the one that goes through the thread. */
  const serving = (file: string): Promise<DirectoryData> => new FileProvider(file).fetchDirectory(undefined, { serving: true });
  // Names beyond ASCII: the entries travel from the thread as UTF-8 bytes.
  const mailboxes = (n: number): { address: string; name: string; aliases: string[] }[] =>
    Array.from({ length: n }, (_, i) => ({ address: `user${i}@example.com`, name: `Zoë Ñandú 日本 ${i}`, aliases: [`alias${i}@example.com`] }));
  const yamlOf = (n: number): string => `domains: [example.com]\nmailboxes:\n${mailboxes(n).map((m) => `  - address: ${m.address}\n    name: ${m.name}\n    aliases: [${m.aliases[0]}]\n`).join('')}lists:\n  - address: team@example.com\n    members: [user0@example.com, user1@example.com]\n`;

  test('a large YAML file reads as the same document a small one would', async () => {
    const file = join(tmp.path, 'large.yaml');
    writeFileSync(file, yamlOf(5000));
    const data = await serving(file);
    assert.deepEqual(data, { domains: ['example.com'], mailboxes: mailboxes(5000), lists: [{ address: 'team@example.com', members: ['user0@example.com', 'user1@example.com'] }] });
    // At a start nothing is served: the same file is parsed at once, to the same document.
    assert.deepEqual(await new FileProvider(file).fetchDirectory(), data);
  });

  test('the event loop keeps turning while it is parsed (lookups are answered meanwhile)', async () => {
    const file = join(tmp.path, 'larger.yaml');
    writeFileSync(file, yamlOf(20_000));
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const data = await serving(file).finally(() => clearInterval(ticker));
    assert.equal(data.mailboxes?.length, 20_000);
    // Parsed in this thread, 20k entries of YAML hold the loop for one long turn (about 1 s).
    assert.ok(turns >= 20, `only ${turns} timer turns during the parse`);
  });

  test('a syntax error deep in a large YAML file still names its line and column', async () => {
    const file = join(tmp.path, 'broken.yaml');
    writeFileSync(file, `${yamlOf(3000)}  - address: [unclosed\n`);
    await assert.rejects(serving(file), (err: unknown) => {
      assert.ok(err instanceof DirectoryError);
      assert.match(err.problems[0]!.where, /^line 900[67], column \d+$/);
      return true;
    });
  });

  test('a large JSON file: a syntax error is reported, a top level that is no object is left to validation', async () => {
    const file = join(tmp.path, 'large.json');
    const text = JSON.stringify({ mailboxes: mailboxes(20_000) });
    writeFileSync(file, `${text.slice(0, -2)},}`);
    await assert.rejects(serving(file), (err: unknown) => err instanceof DirectoryError && err.problems[0]!.where === '(syntax)');
    writeFileSync(file, JSON.stringify(mailboxes(20_000)));
    const data = await serving(file);
    assert.equal((data as unknown as unknown[]).length, 20_000);
    assert.throws(() => Directory.build(data, { strict: true, source: 'large.json' }), DirectoryError);
  });
});

describe('directory file reloads', () => {
  let svc: Awaited<ReturnType<typeof startFileService>>;
  before(async () => {
    svc = await startFileService('mailboxes:\n  - address: alice@example.com\n');
  });
  after(() => svc.stop());

  test('an edit is served without restart', async () => {
    writeFileSync(svc.file, 'mailboxes:\n  - address: alice@example.com\n  - address: bob@example.com\n');
    await waitFor(() => svc.service.lookup('mailbox', 'bob@example.com').kind === 'found', 10_000, 'bob to appear');
  });

  test('a file replaced by rename (how editors save) is picked up too', async () => {
    const next = join(svc.dir, 'next.yaml');
    writeFileSync(next, 'mailboxes:\n  - address: alice@example.com\n  - address: carol@example.com\n');
    renameSync(next, svc.file);
    await waitFor(() => svc.service.lookup('mailbox', 'carol@example.com').kind === 'found', 10_000, 'carol to appear');
  });

  test('a broken edit is reported and the last good directory keeps serving', async () => {
    writeFileSync(svc.file, 'mailboxes:\n  - address: alice@example.com\n  - address: alice@example.com\n');
    await waitFor(() => svc.logs().some((l) => l.msg === 'sync failed; the last good directory keeps serving'), 10_000, 'the failure log');
    const line = svc.logs().find((l) => l.msg === 'sync failed; the last good directory keeps serving')!;
    assert.match(JSON.stringify(line.err), /duplicate mailbox/);
    assert.deepEqual(svc.service.lookup('mailbox', 'carol@example.com'), { kind: 'found', value: 'example.com/carol/' });
    assert.deepEqual(svc.service.lookup('mailbox', 'nobody@example.com'), { kind: 'not-found' });
  });

  test('a large edit (past 16 kB of YAML: parsed on a thread while the old directory serves) is served too; last here, as the deletion guard would refuse to go back', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `  - address: user${i}@example.com\n`).join('');
    writeFileSync(svc.file, `mailboxes:\n  - address: alice@example.com\n  - address: bob@example.com\n${many}`);
    await waitFor(() => svc.service.lookup('mailbox', 'user999@example.com').kind === 'found', 10_000, 'user999 to appear');
  });
});
