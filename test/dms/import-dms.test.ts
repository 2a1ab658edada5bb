import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { importDms } from '../../src/dms/import-dms.js';
import { missingBinaries } from '../helpers/binaries.js';
import { startDovecot, type DovecotInstance } from '../helpers/dovecot-instance.js';
import { startFileService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

const ACCOUNTS = `# DMS: setup email add
alice@example.com|{SHA512-CRYPT}$6$abc$xyz
Bob@Example.com|{SHA512-CRYPT}$6$def$uvw|userdb_mail=maildir:/elsewhere
placeholder@placeholder.invalid|{SHA512-CRYPT}!
not-an-address|{PLAIN}x
alice@example.com|{PLAIN}again
`;
const VIRTUAL = `# DMS: setup alias add
info@example.com alice@example.com
sales@example.org alice@example.com
@example.net bob@example.com
team@example.com alice@example.com, bob@example.com,friend@elsewhere.org
forward@example.com someone@elsewhere.org
alice@example.com alice@example.com,alice@backup.test
@example.com alice@example.com,bob@example.com
`;
const QUOTAS = 'alice@example.com:2G\nghost@example.com:1G\n';

describe('import-dms', () => {
  test('accounts become mailboxes with their hashes; one-target aliases join the account, the rest become lists', () => {
    const { data, skipped } = importDms(
      { name: 'postfix-accounts.cf', text: ACCOUNTS }, { name: 'postfix-virtual.cf', text: VIRTUAL }, { name: 'dovecot-quotas.cf', text: QUOTAS },
    );
    assert.deepEqual(data, {
      domains: ['example.com', 'example.net', 'example.org'],
      mailboxes: [
        { address: 'alice@example.com', passwordHash: '{SHA512-CRYPT}$6$abc$xyz', quota: '2G', aliases: ['info@example.com', 'sales@example.org'] },
        { address: 'Bob@Example.com', passwordHash: '{SHA512-CRYPT}$6$def$uvw', aliases: ['@example.net'] },
      ],
      lists: [
        { address: 'team@example.com', members: ['alice@example.com', 'bob@example.com', 'friend@elsewhere.org'] },
        { address: 'forward@example.com', members: ['someone@elsewhere.org'] },
      ],
    });
    assert.deepEqual(skipped.map((s) => s.where), [
      'postfix-accounts.cf:5', 'postfix-accounts.cf:6', 'dovecot-quotas.cf:2', 'postfix-virtual.cf:7', 'postfix-virtual.cf:8',
    ]);
    assert.match(skipped[3]!.reason, /account and an alias at once/);
    assert.match(skipped[4]!.reason, /catch-all @example\.com must point at exactly one account/);
  });

  test('the CLI writes a directory file that check-config accepts, lists skipped lines and exits 1', async () => {
    const tmp = tempDir();
    for (const [name, text] of [['postfix-accounts.cf', ACCOUNTS], ['postfix-virtual.cf', VIRTUAL]]) writeFileSync(join(tmp.path, name!), text!);
    const out = join(tmp.path, 'directory.yaml');
    const r = await run(process.execPath, [CLI, 'import-dms', join(tmp.path, 'postfix-accounts.cf'), join(tmp.path, 'postfix-virtual.cf'), '--out', out]).catch((e) => e);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^skipped postfix-accounts\.cf:5: "not-an-address" is not an address$/m);
    assert.match(r.stderr, /^imported 2 mailboxes, 2 lists$/m);
    assert.match(readFileSync(out, 'utf8'), /passwordHash: "?\{SHA512-CRYPT\}\$6\$abc\$xyz"?$/m);
    const check = await run(process.execPath, [CLI, 'check-config'], { env: { PATH: process.env.PATH, MAILROSTER_PROVIDER_FILE_PATH: out } });
    assert.match(check.stdout, /directory has 2 mailboxes/);
    tmp.remove();
  });
});

describe('an imported DMS account logs in with its old password through mailroster', { skip: missingBinaries('doveadm', 'dovecot') }, () => {
  const sock = tempDir('mailroster-import-');
  let dv: DovecotInstance;
  let svc: Awaited<ReturnType<typeof startFileService>>;
  before(async () => {
    // A hash as `setup email add` stores it: doveadm pw -s SHA512-CRYPT.
    const hash = (await run('doveadm', ['pw', '-s', 'SHA512-CRYPT', '-p', 'old-secret'])).stdout.trim();
    const { data } = importDms({ name: 'postfix-accounts.cf', text: `carol@example.com|${hash}\n` });
    const dictSocket = join(sock.path, 'dict.sock');
    dv = await startDovecot({ dictSocket });
    svc = await startFileService(JSON.stringify(data), { dict: { listen: [dictSocket] } });
  });
  after(async () => {
    await svc?.stop();
    await dv?.stop();
    sock.remove();
  });

  test('doveadm auth test: the old password is accepted, another refused', async () => {
    assert.equal((await dv.doveadm('auth', 'test', '-x', 'no-penalty', 'carol@example.com', 'old-secret')).code, 0);
    assert.equal((await dv.doveadm('auth', 'test', '-x', 'no-penalty', 'carol@example.com', 'other')).code, 77);
  });
});
