import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** Runs `mailroster dovecot-config ...args` with only PATH and `env` in the environment. */
function dovecotConfig(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'dovecot-config', ...args], { env: { PATH: process.env.PATH, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

describe('mailroster dovecot-config', () => {
  test('prints the passdb/userdb blocks and the args file for the first UNIX socket', async () => {
    const r = await dovecotConfig(['/etc/dovecot/mr.conf.ext'], { MAILROSTER_DICT_LISTEN: '127.0.0.1:9999,/run/mailroster/dict.sock' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^passdb \{\n {2}driver = dict\n {2}args = \/etc\/dovecot\/mr\.conf\.ext\n\}$/m);
    assert.match(r.stdout, /^userdb \{\n {2}driver = dict\n {2}args = \/etc\/dovecot\/mr\.conf\.ext\n\}$/m);
    assert.match(r.stdout, /^uri = proxy:\/run\/mailroster\/dict\.sock:mailroster$/m);
    assert.match(r.stdout, /^iterate_prefix = userdb\/$/m);
  });

  test('refuses a configuration without a UNIX socket (Dovecot has no TCP dict client)', async () => {
    const r = await dovecotConfig([]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /dict\.listen has no UNIX socket path/);
  });
});
