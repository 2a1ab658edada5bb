import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { missingBinaries } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

describe('mailroster systemd-unit', () => {
  const tmp = tempDir();
  const configFile = join(tmp.path, 'config.json');
  writeFileSync(configFile, JSON.stringify({
    socketmap: { listen: ['127.0.0.1:10027', '/run/mailroster/socketmap.sock'], socketGroup: 'postfix' },
    dict: { listen: ['/run/mailroster/dict.sock'], socketGroup: 'dovecot' },
  }));
  const unit = async (): Promise<string> => (await run(process.execPath, [CLI, '--config', configFile, 'systemd-unit'], { env: { PATH: process.env.PATH } })).stdout;

  test('fits the config: socket folder as RuntimeDirectory, socket groups as supplementary groups, reload by SIGHUP', async () => {
    const text = await unit();
    for (const line of [
      'User=mailroster', 'SupplementaryGroups=postfix dovecot', 'RuntimeDirectory=mailroster', 'ExecReload=/bin/kill -HUP $MAINPID',
      'ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=', `ExecStart=${process.execPath} ${CLI} --config ${configFile} serve`,
    ]) assert.ok(text.split('\n').includes(line), line);
  });

  test('passes systemd-analyze verify without a warning', { skip: missingBinaries('systemd-analyze') }, async () => {
    const path = join(tmp.path, 'mailroster.service');
    writeFileSync(path, await unit());
    const { stderr } = await run('systemd-analyze', ['verify', path]).catch((err: { stderr: string }) => ({ stderr: `failed: ${err.stderr}` }));
    const ours = stderr.split('\n').filter((l) => l.includes(path) || l.startsWith('failed'));
    assert.deepEqual(ours, []);
    // And the check is real: a broken directive is reported.
    writeFileSync(path, (await unit()).replace('NoNewPrivileges=yes', 'NoNewPrivileges=maybe'));
    const broken = await run('systemd-analyze', ['verify', path]).catch((err: { stderr: string }) => ({ stderr: err.stderr }));
    assert.match(broken.stderr, /NoNewPrivileges|maybe/);
    tmp.remove();
  });
});
