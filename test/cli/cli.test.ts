import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingBinaries } from '../helpers/binaries.js';
import { startRedis } from '../helpers/redis-server.js';
import { startFileService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** Runs the CLI with a clean environment plus `env`. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

describe('mailroster CLI', () => {
  test('lookup answers like the server, with postmap-like exit codes', async () => {
    assert.deepEqual(await cli(['lookup', 'mailbox', 'Alice+x@Example.com']), { code: 0, stdout: 'OK example.com/alice/\n', stderr: '' });
    assert.deepEqual(await cli(['lookup', 'mailbox', 'nobody@example.com']), { code: 1, stdout: 'NOTFOUND \n', stderr: '' });
    const bad = await cli(['lookup', 'nosuch', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stdout, /^PERM unknown map/);
  });

  test('lookup with a Redis store answers from Redis and never calls the provider', { skip: missingBinaries('redis-server') }, async () => {
    const redis = await startRedis();
    const svc = await startFileService('mailboxes:\n  - address: alice@example.com\n', { store: { url: redis.url } });
    await svc.stop();
    // The provider file does not exist: a lookup that called the provider would fail.
    const env = { MAILROSTER_STORE_URL: redis.url, MAILROSTER_PROVIDER_FILE_PATH: '/nonexistent/dir.yaml' };
    assert.deepEqual(await cli(['lookup', 'mailbox', 'alice@example.com'], env), { code: 0, stdout: 'OK example.com/alice/\n', stderr: '' });
    assert.equal((await cli(['lookup', 'mailbox', 'bob@example.com'], env)).code, 1);
    await redis.stop();
  });

  test('check-config reports a broken directory file with where and why, and fails', async () => {
    const tmp = tempDir();
    const file = join(tmp.path, 'dir.yaml');
    writeFileSync(file, 'mailboxes:\n  - address: alice@example.com\n    quota: huge\n');
    const r = await cli(['check-config'], { MAILROSTER_PROVIDER_FILE_PATH: file });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${file}: 1 problem\\(s\\)\\n  mailboxes\\[0\\] \\(alice@example.com\\): quota "huge" is not a size like 2G`));
    tmp.remove();
  });

  test('check-config passes on the bundled example', async () => {
    const r = await cli(['check-config']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /directory has 3 mailboxes/);
  });

  test('a broken config reports every error at once and exits 78', async () => {
    const tmp = tempDir();
    const file = join(tmp.path, 'config.json');
    writeFileSync(file, JSON.stringify({ socketmap: { listen: ['not an endpoint'], maxRequestBytes: -1 }, nosuchkey: 1 }));
    const r = await cli(['--config', file, 'check-config']);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /socketmap\.listen/);
    assert.match(r.stderr, /socketmap\.maxRequestBytes/);
    assert.match(r.stderr, /nosuchkey/);
    tmp.remove();
  });

  test('print-config never shows secrets', async () => {
    const r = await cli(['print-config'], { MAILROSTER_STORE_URL: 'redis://user:hunter2@127.0.0.1:6390/0' });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /hunter2/);
    assert.ok(JSON.parse(r.stdout).socketmap, 'prints the configuration as JSON');
  });

  test('postfix-config points every map at the configured endpoint', async () => {
    const r = await cli(['postfix-config'], { MAILROSTER_SOCKETMAP_LISTEN: '/run/mailroster/socketmap.sock' });
    assert.match(r.stdout, /^mailroster = socketmap:unix:\/run\/mailroster\/socketmap.sock$/m);
    for (const line of ['virtual_mailbox_domains = ${mailroster}:domain', 'virtual_alias_maps = ${mailroster}:alias', 'virtual_alias_domains =']) {
      assert.ok(r.stdout.includes(line), line);
    }
  });

  test('an unknown command prints usage and exits 64', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /usage: mailroster/);
  });
});
