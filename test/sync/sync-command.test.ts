import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { syncCommand } from '../../src/sync/sync-command.js';
import { testConfig } from '../helpers/service.js';
import { directoryFile, directoryYaml } from '../store/redis-fixtures.js';

/** A stream that keeps what is written; `isTTY` as asked. */
function capture(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
  return Object.assign(w, { isTTY, text: () => chunks.join('') });
}

describe('mailroster sync (in-memory store)', () => {
  const file = directoryFile(directoryYaml(2, 'lists:\n  - address: all@example.com\n    members: [user0@example.com, user1@example.com]\n'));
  const config = testConfig({ provider: { type: 'file', file: { path: file.path } } });
  after(() => file.remove());

  test('prints the difference, and progress only on a terminal', async () => {
    for (const tty of [true, false]) {
      const out = capture(false);
      const err = capture(tty);
      assert.equal(await syncCommand(config, { once: true, 'dry-run': true }, { out, err }), 0);
      assert.equal(out.text(), [
        'mailboxes: +2 -0 ~0', '  + user0@example.com', '  + user1@example.com',
        'aliases: +2 -0 ~0', '  + alias0@example.com -> user0@example.com', '  + alias1@example.com -> user1@example.com',
        'lists: +1 -0 ~0', '  + all@example.com',
        'domains: +1 -0', '  + example.com',
        'dry run: nothing written; the directory has 2 mailboxes', '',
      ].join('\n'));
      if (tty) assert.match(err.text(), /\r\x1b\[Kfetching the directory from file\.\.\./);
      else assert.equal(err.text(), '');
    }
  });

  test('lists at most 100 entries per section unless --all', async () => {
    const big = directoryFile(directoryYaml(150));
    const cfg = testConfig({ provider: { type: 'file', file: { path: big.path } } });
    const out = capture(false);
    await syncCommand(cfg, { once: true, 'dry-run': true }, { out, err: capture(false) });
    assert.match(out.text(), /mailboxes: \+150 -0 ~0\n(  \+ user\d+@example\.com\n){100}  \.\.\. and 50 more \(--all lists everything\)\n/);
    const all = capture(false);
    await syncCommand(cfg, { once: true, 'dry-run': true, all: true }, { out: all, err: capture(false) });
    assert.equal(all.text().split('\n').filter((l) => l.startsWith('  + user')).length, 150);
    big.remove();
  });

  test('without --once it explains and exits 64', async () => {
    const err = capture(false);
    assert.equal(await syncCommand(config, {}, { out: capture(false), err }), 64);
    assert.match(err.text(), /only --once is supported/);
  });
});
