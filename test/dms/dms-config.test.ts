import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { renderDmsFiles } from '../../src/dms/dms-config-command.js';
import { dmsLayout } from '../../src/dms/dms-layout.js';
import { loadConfig } from '../../src/config/config.js';
import { testConfig } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

describe('mailroster dms-config', () => {
  for (const version of ['15', 'edge'] as const) {
    test(`${version}: dovecot.cf sets no auth_mechanisms and no oauth2 block, so ENABLE_OAUTH2 keeps working`, () => {
      const dovecot = renderDmsFiles({ layout: dmsLayout(version), config: testConfig(), secret: 'test-secret' }).find((f) => f.path === 'dovecot.cf')!.text;
      const settings = dovecot.split('\n').filter((l) => !l.trim().startsWith('#'));
      assert.equal(settings.filter((l) => /^\s*auth_mechanisms\b/.test(l)).length, 0);
      assert.equal(settings.filter((l) => /^\s*oauth2\s*\{/.test(l)).length, 0);
      assert.match(dovecot, version === '15' ? /^\s+mechanisms = plain login$/m : /^\s+mechanisms_filter = plain login$/m);
    });
  }

  test('--container writes DMS\'s files, compose, Dockerfile and a mailroster config that loads', async () => {
    const tmp = tempDir();
    const r = await cli(['dms-config', '--dms', '15', '--out', tmp.path, '--container']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((p) => p.slice(tmp.path.length + 1)).sort(), [
      'compose.yaml', 'docker-data/dms/config/dovecot.cf', 'docker-data/dms/config/mailroster/dovecot-dict-auth.conf.ext',
      'docker-data/dms/config/postfix-accounts.cf', 'docker-data/dms/config/postfix-main.cf', 'docker-data/dms/config/user-patches.sh',
      'mailroster/Dockerfile', 'mailroster/etc/config.yaml', 'mailroster/etc/directory.yaml',
    ]);
    assert.equal(statSync(join(tmp.path, 'docker-data/dms/config/user-patches.sh')).mode & 0o777, 0o755);
    // The generated config passes mailroster's strict schema.
    const config = loadConfig({ env: {}, file: join(tmp.path, 'mailroster/etc/config.yaml') }).config;
    assert.deepEqual(config.socketmap.listen, ['/run/mailroster/socketmap.sock']);
    const compose = parseYaml(readFileSync(join(tmp.path, 'compose.yaml'), 'utf8'));
    assert.deepEqual(compose.services.mailserver.depends_on, { mailroster: { condition: 'service_healthy' } });
    assert.deepEqual(compose.services.mailroster.depends_on, { redis: { condition: 'service_healthy' } });
    assert.equal(compose.services.mailserver.environment.ACCOUNT_PROVISIONER, 'FILE');
    tmp.remove();
  });

  test('edge --container: the Lua script and one secret for both sides (0600), kept when run again', async () => {
    const tmp = tempDir();
    const secretOf = (p: string) => readFileSync(join(tmp.path, p), 'utf8');
    assert.equal((await cli(['dms-config', '--dms', 'edge', '--out', tmp.path, '--container'])).code, 0);
    const dmsSecret = 'docker-data/dms/config/mailroster/auth-secret';
    assert.match(secretOf(dmsSecret), /^[0-9a-f]{64}\n$/);
    assert.equal(secretOf('mailroster/etc/auth-secret'), secretOf(dmsSecret));
    assert.equal(statSync(join(tmp.path, dmsSecret)).mode & 0o777, 0o600);
    assert.match(secretOf('docker-data/dms/config/mailroster/mailroster-auth.lua'), /function auth_password_verify/);
    const config = loadConfig({ env: {}, file: join(tmp.path, 'mailroster/etc/config.yaml') }).config;
    assert.deepEqual([config.auth.listen, config.auth.secretFile], ['0.0.0.0:10028', '/etc/mailroster/auth-secret']);
    const before = secretOf(dmsSecret);
    assert.equal((await cli(['dms-config', '--dms', 'edge', '--out', tmp.path, '--container'])).code, 0);
    assert.equal(secretOf(dmsSecret), before);
    tmp.remove();
  });

  test('an edited user-patches.sh or postfix-accounts.cf is not overwritten without --force', async () => {
    const tmp = tempDir();
    assert.equal((await cli(['dms-config', '--dms', '15', '--out', tmp.path])).code, 0);
    writeFileSync(join(tmp.path, 'user-patches.sh'), '#!/bin/bash\necho mine\n');
    const again = await cli(['dms-config', '--dms', '15', '--out', tmp.path, '--keep-dms-aliases']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not overwriting .*user-patches\.sh/);
    assert.equal(readFileSync(join(tmp.path, 'user-patches.sh'), 'utf8'), '#!/bin/bash\necho mine\n');
    assert.match(readFileSync(join(tmp.path, 'postfix-main.cf'), 'utf8'), /^virtual_alias_maps = texthash:\/etc\/postfix\/virtual, \$\{mailroster\}:alias$/m);
    assert.equal((await cli(['dms-config', '--dms', '15', '--out', tmp.path, '--force'])).code, 0);
    assert.match(readFileSync(join(tmp.path, 'user-patches.sh'), 'utf8'), /auth-passwdfile\.inc/);
    tmp.remove();
  });

  test('a missing or unknown --dms is a usage error naming the choices', async () => {
    const r = await cli(['dms-config', '--dms', '14', '--out', '/nonexistent']);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /--dms must be 15 or edge \(got "14"\)/);
  });
});
