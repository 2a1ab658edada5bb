import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
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
    assert.match(r.stdout, /^passdb \{\n {2}driver = dict\n {2}mechanisms = plain login none\n {2}args = \/etc\/dovecot\/mr\.conf\.ext\n\}$/m);
    assert.match(r.stdout, /^passdb \{\n {2}driver = dict\n {2}mechanisms = plain login none\n {2}args = \/etc\/dovecot\/mr-hash2\.conf\.ext\n\}$/m, 'a second hash slot');
    assert.match(r.stdout, /^ {2}key = passdb\/%u\/%\{sha256:password\}$/m, 'the password digest in the key');
    assert.match(r.stdout, /^userdb \{\n {2}driver = dict\n {2}args = \/etc\/dovecot\/mr\.conf\.ext\n\}$/m);
    assert.match(r.stdout, /^uri = proxy:\/run\/mailroster\/dict\.sock:mailroster$/m);
    assert.match(r.stdout, /^iterate_prefix = userdb\/$/m);
  });

  test('--oauth2 adds the account check and the oauth2 passdb for the bearer mechanisms only; the secret comes from its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-oauth2-'));
    writeFileSync(join(dir, 'secret'), 'kc-secret\n');
    const env = {
      MAILROSTER_DICT_LISTEN: '/run/mailroster/dict.sock', MAILROSTER_PROVIDER_TYPE: 'keycloak', MAILROSTER_PROVIDER_KEYCLOAK_URL: 'https://sso.example.com',
      MAILROSTER_PROVIDER_KEYCLOAK_REALM: 'mail', MAILROSTER_OAUTH2_CLIENT_ID: 'roundcube', MAILROSTER_OAUTH2_CLIENT_SECRET_FILE: join(dir, 'secret'),
    };
    const r = await dovecotConfig(['/etc/dovecot/mr.conf.ext', '--oauth2'], env);
    rmSync(dir, { recursive: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^auth_mechanisms = \$auth_mechanisms xoauth2 oauthbearer$/m);
    assert.match(r.stdout, /^passdb \{\n {2}driver = oauth2\n {2}mechanisms = xoauth2 oauthbearer\n {2}args = \/etc\/dovecot\/dovecot-oauth2\.conf\.ext\n\}$/m);
    assert.match(r.stdout, /^passdb \{\n {2}driver = dict\n {2}mechanisms = plain login none\n {2}args = \/etc\/dovecot\/mr\.conf\.ext\n\}$/m);
    assert.match(r.stdout, /^introspection_url = https:\/\/sso\.example\.com\/realms\/mail\/protocol\/openid-connect\/token\/introspect$/m);
    assert.match(r.stdout, /^openid_configuration_url = https:\/\/sso\.example\.com\/realms\/mail\/\.well-known\/openid-configuration$/m);
    assert.match(r.stdout, /^client_secret = kc-secret$/m);
    assert.match(r.stdout, /^username_attribute = email$/m);
    const missing = await dovecotConfig(['--oauth2'], { MAILROSTER_DICT_LISTEN: '/run/d.sock' });
    assert.equal(missing.code, 78);
    assert.match(missing.stderr, /oauth2\.introspectionUrl: required/);
  });

  test('refuses a configuration without a UNIX socket (Dovecot has no TCP dict client)', async () => {
    const r = await dovecotConfig([]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /dict\.listen has no UNIX socket path/);
  });

  test('--dovecot 2.3 --out DIR writes mailroster.conf and the args file, pointing at each other', async () => {
    const tmp = tempDir();
    try {
      const out = join(tmp.path, 'dv');
      const r = await dovecotConfig(['--dovecot', '2.3', '--out', out], { MAILROSTER_DICT_LISTEN: '/run/mailroster/dict.sock' });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(out).sort(), ['dovecot-dict-auth-hash2.conf.ext', 'dovecot-dict-auth.conf.ext', 'mailroster.conf']);
      assert.match(readFileSync(join(out, 'mailroster.conf'), 'utf8'), new RegExp(`args = ${out}/dovecot-dict-auth-hash2\\.conf\\.ext`));
      assert.match(readFileSync(join(out, 'mailroster.conf'), 'utf8'), new RegExp(`args = ${out}/dovecot-dict-auth\\.conf\\.ext`));
      assert.match(readFileSync(join(out, 'dovecot-dict-auth.conf.ext'), 'utf8'), /^uri = proxy:\/run\/mailroster\/dict\.sock:mailroster$/m);
      assert.match(r.stdout, new RegExp(`!include ${out}/mailroster\\.conf`));
    } finally {
      tmp.remove();
    }
  });

  test('--dovecot 2.4 --out DIR writes the Lua blocks, the script and the secret (0600), never printing the secret', async () => {
    const tmp = tempDir();
    try {
      const secretFile = join(tmp.path, 'secret');
      writeFileSync(secretFile, 'do-not-print-me-0123\n');
      const out = join(tmp.path, 'dv');
      const env = { MAILROSTER_AUTH_LISTEN: '0.0.0.0:10028', MAILROSTER_AUTH_SECRET_FILE: secretFile, MAILROSTER_DICT_USERDB_MAIL: 'maildir:~/Maildir:LAYOUT=fs' };
      const r = await dovecotConfig(['--dovecot', '2.4', '--out', out], env);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes('do-not-print-me') && !r.stderr.includes('do-not-print-me'));
      assert.deepEqual(readdirSync(out).sort(), ['auth-secret', 'mailroster-auth.lua', 'mailroster.conf']);
      assert.equal(statSync(join(out, 'auth-secret')).mode & 0o777, 0o600);
      assert.equal(readFileSync(join(out, 'auth-secret'), 'utf8').trim(), 'do-not-print-me-0123');
      const conf = readFileSync(join(out, 'mailroster.conf'), 'utf8');
      assert.match(conf, /^passdb lua \{$/m);
      assert.match(conf, /^userdb lua \{$/m);
      assert.match(conf, /^ {2}mechanisms_filter = plain login$/m);
      assert.match(conf, new RegExp(`^ {2}lua_file = ${out}/mailroster-auth\\.lua$`, 'm'));
      // A wildcard listener is reached on loopback.
      assert.match(conf, /^ {4}url = http:\/\/127\.0\.0\.1:10028$/m);
      const lua = readFileSync(join(out, 'mailroster-auth.lua'), 'utf8');
      for (const fn of ['auth_password_verify', 'auth_userdb_lookup', 'auth_userdb_iterate', 'auth_passdb_get_cache_key', 'auth_userdb_get_cache_key']) {
        assert.match(lua, new RegExp(`^function ${fn}\\(`, 'm'), fn);
      }
      // 2.4's setting names; the 2.3 ones kill the auth process at script_init.
      assert.match(lua, /^\s+request_timeout = timeout,$/m);
      assert.doesNotMatch(lua, /^\s+(timeout|max_attempts|debug) =/m);
    } finally {
      tmp.remove();
    }
  });

  test('--dovecot-dir and --auth-url: files name each other where a container sees them', async () => {
    const tmp = tempDir();
    try {
      const out = join(tmp.path, 'dv');
      const env = { MAILROSTER_AUTH_LISTEN: '127.0.0.1:10028', MAILROSTER_AUTH_SECRET: 'inline-secret-value-42' };
      const r = await dovecotConfig(['--dovecot', '2.4', '--out', out, '--dovecot-dir', '/tmp/docker-mailserver/mailroster', '--auth-url', 'http://mailroster:10028'], env);
      assert.equal(r.code, 0, r.stderr);
      const conf = readFileSync(join(out, 'mailroster.conf'), 'utf8');
      assert.match(conf, /^ {2}lua_file = \/tmp\/docker-mailserver\/mailroster\/mailroster-auth\.lua$/m);
      assert.match(conf, /^ {4}secret_file = \/tmp\/docker-mailserver\/mailroster\/auth-secret$/m);
      assert.match(conf, /^ {4}url = http:\/\/mailroster:10028$/m);
      assert.match(r.stdout, /!include \/tmp\/docker-mailserver\/mailroster\/mailroster\.conf/);
      assert.equal(readFileSync(join(out, 'auth-secret'), 'utf8'), 'inline-secret-value-42\n');
      const bad = await dovecotConfig(['--dovecot', '2.4', '--out', out, '--auth-url', 'http://x/path'], env);
      assert.equal(bad.code, 78);
    } finally {
      tmp.remove();
    }
  });

  test('--dovecot 2.4 refuses without a secret, and a mail template 2.4 cannot express', async () => {
    const noSecret = await dovecotConfig(['--dovecot', '2.4', '--out', '/nonexistent/never'], { MAILROSTER_AUTH_LISTEN: '127.0.0.1:10028' });
    assert.equal(noSecret.code, 78);
    assert.match(noSecret.stderr, /auth\.secret \(or auth\.secretFile\) is empty/);
    const badMail = await dovecotConfig(['--dovecot', '2.4'], { MAILROSTER_AUTH_LISTEN: '127.0.0.1:10028', MAILROSTER_DICT_USERDB_MAIL: 'maildir:~/Maildir:BOGUS=1' });
    assert.equal(badMail.code, 78);
    assert.match(badMail.stderr, /"BOGUS=1" has no Dovecot 2\.4 equivalent/);
  });
});
