import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { missingBinaries } from '../helpers/binaries.js';
import { postmapQuery } from '../helpers/postfix-instance.js';
import { startFileService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

const YAML = `
domains: [example.com, example.net]
mailboxes:
  - address: alice@example.com
    aliases: [a.smith@example.com, postmaster@example.com, "@example.net"]
  - address: bob@example.com
  - address: carol@example.com
    enabled: false
lists:
  - address: team@example.com
    members: [alice@example.com, bob@example.com, friend@elsewhere.org]
    senders: [alice@example.com]
`;

// postmap -q is how operators check a map by hand: one key as typed, value on stdout, rc 0 found /
// rc 1 not found (silently) / rc 1 with "query error" on stderr for TEMP and PERM.
describe('postmap -q against the running server', { skip: missingBinaries('postmap') }, () => {
  let svc: Awaited<ReturnType<typeof startFileService>>;
  const sock = tempDir();
  let inet = '';
  const unix = `unix:${join(sock.path, 'sm.sock')}`;
  before(async () => {
    svc = await startFileService(YAML, { socketmap: { listen: ['127.0.0.1:0', join(sock.path, 'sm.sock')] } });
    const ep = svc.service.socketmap.addresses[0]!;
    inet = `inet:127.0.0.1:${ep.kind === 'tcp' ? ep.port : 0}`;
  });
  after(async () => {
    await svc.stop();
    sock.remove();
  });

  const FOUND: [map: string, key: string, value: string][] = [
    ['domain', 'example.com', 'example.com'],
    ['mailbox', 'alice@example.com', 'example.com/alice/'],
    ['mailbox', 'Alice+Tag@Example.COM', 'example.com/alice/'],
    ['alias', 'a.smith@example.com', 'alice@example.com'],
    ['alias', 'team+x@example.com', 'alice+x@example.com,bob+x@example.com,friend@elsewhere.org'],
    ['alias', 'whoever@example.net', 'alice@example.com'],
    ['senders', 'postmaster@example.com', 'alice@example.com'],
    ['senders', 'team@example.com', 'alice@example.com'],
  ];
  for (const [map, key, value] of FOUND) {
    test(`${map} ${key} -> ${value}`, async () => {
      for (const ep of [inet, unix]) {
        const r = await postmapQuery(ep, map, key);
        assert.deepEqual({ out: r.stdout, code: r.code }, { out: `${value}\n`, code: 0 }, `${ep}: ${r.stderr}`);
      }
    });
  }

  const MISSING: [map: string, key: string][] = [
    ['domain', 'outside.test'], ['domain', '[127.0.0.1]'], ['mailbox', 'nobody@example.com'], ['mailbox', 'carol@example.com'],
    ['alias', 'alice@example.com'], ['alias', 'example.com'], ['alias', '"john doe"@example.net'], ['alias', 'x@[10.0.0.1]'],
    ['alias', '*'], ['senders', 'stranger@outside.test'],
  ];
  for (const [map, key] of MISSING) {
    test(`${map} ${key} is not found, without an error`, async () => {
      const r = await postmapQuery(inet, map, key);
      assert.deepEqual({ out: r.stdout, code: r.code, err: r.stderr }, { out: '', code: 1, err: '' });
    });
  }

  test('an unknown map name is a query error naming the known maps', async () => {
    const r = await postmapQuery(inet, 'transport', 'example.com');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /known maps: domain, mailbox, alias, senders/);
    assert.match(r.stderr, /query error/);
  });

  test('bulk postmap -q - answers every key over one connection', async () => {
    const keys = ['a.smith@example.com', 'nobody@example.com', 'postmaster@example.com', 'team@example.com', 'anyone@example.net'];
    const r = await postmapQuery(inet, 'alias', '-', keys.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'a.smith@example.com\talice@example.com',
      'postmaster@example.com\talice@example.com',
      'team@example.com\talice@example.com,bob@example.com,friend@elsewhere.org',
      'anyone@example.net\talice@example.com',
    ]);
  });
});
