import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CONTAINER, healthcheckArgs, installArgs, renderContainerConfig, renderDockerfile, serveArgs } from '../../src/dms/dms-container.js';
import { dmsLayout } from '../../src/dms/dms-layout.js';
import { missingBinaries } from '../helpers/binaries.js';
import { freePort, waitFor } from '../helpers/net.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs argv; resolves with the exit code (never rejects). */
async function exitCode(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return run(argv[0]!, argv.slice(1), { env, timeout: 20_000 }).then(() => 0, (e: { code?: number }) => e.code ?? 1);
}

// The Dockerfile's steps, run here for real: install the npm pack tarball into a fresh prefix (no
// dev dependencies, no build), start `mailroster serve` with the recipe's config, probe it with
// the HEALTHCHECK command. Not run: docker build, useradd, the compose file.
describe('container recipe: npm pack installed into a fresh prefix, then started', { skip: missingBinaries('npm', 'postmap', 'runuser') }, () => {
  const tmp = tempDir('mailroster-pack-');
  const prefix = join(tmp.path, 'prefix');
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;
  let httpListen = '';
  const layout = dmsLayout('15', { socketDir: join(tmp.path, 'run-mailroster') });

  before(async () => {
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp.path], { cwd: REPO, timeout: 120_000 });
    const tarball = readdirSync(tmp.path).find((f) => /^mailroster-.*\.tgz$/.test(f));
    assert.ok(tarball, 'npm pack wrote a tarball');
    // --prefer-offline: the dependencies come from npm's cache when `npm ci` filled it.
    const [npm, ...args] = installArgs(prefix, join(tmp.path, tarball));
    await run(npm!, [...args, '--prefer-offline'], { timeout: 300_000 });
    // The Dockerfile's ENV PATH.
    env = { ...process.env, PATH: `${prefix}/bin:${process.env.PATH}`, NODE_ENV: 'production' };
  });
  after(async () => {
    server?.kill('SIGTERM');
    tmp.remove();
  });

  test('the Dockerfile is made of exactly these steps', () => {
    const dockerfile = renderDockerfile();
    assert.ok(dockerfile.includes(`RUN ${installArgs(CONTAINER.prefix, '/tmp/mailroster-*.tgz').join(' ')}`));
    assert.ok(dockerfile.includes(`CMD ${JSON.stringify(healthcheckArgs('127.0.0.1:9187'))}`));
    assert.ok(dockerfile.includes(`CMD ${JSON.stringify(serveArgs(CONTAINER.configFile))}`));
    assert.match(dockerfile, /^USER mailroster$/m);
  });

  test('the installed package has no dev dependencies and answers --help', async () => {
    const pkg = join(prefix, 'lib', 'node_modules', 'mailroster');
    assert.deepEqual(readdirSync(pkg).sort(), ['README.md', 'dist', 'node_modules', 'package.json', 'protocol', 'src']);
    assert.equal(readdirSync(join(pkg, 'node_modules')).includes('typescript'), false);
    const { stdout } = await run('mailroster', ['--help'], { env });
    assert.match(stdout, /^ {2}dms-config --dms 15\|edge/m);
  });

  test('serve on the example directory: postmap -q as the postfix user over the shared socket, healthcheck 0, then 1 once stopped', async () => {
    httpListen = `127.0.0.1:${await freePort()}`;
    const example = join(prefix, 'lib', 'node_modules', 'mailroster', 'src', 'config', 'example-directory.yaml');
    const configFile = join(tmp.path, 'config.yaml');
    writeFileSync(configFile, renderContainerConfig(layout, { storeUrl: 'memory:', httpListen, directoryFile: example }));
    // The Dockerfile's `install -d -m 0755 /run/mailroster`, in a folder the postfix user can enter as it does /run.
    chmodSync(tmp.path, 0o755);
    mkdirSync(layout.socketDir, { mode: 0o755 });
    const [bin, ...args] = serveArgs(configFile);
    server = spawn(bin!, args, { env, stdio: 'ignore' });
    const probe = healthcheckArgs(httpListen);
    await waitFor(async () => (await exitCode(probe, env)) === 0, 30_000, 'the HEALTHCHECK command to succeed');
    const sock = join(layout.socketDir, 'socketmap.sock');
    assert.equal(statSync(sock).mode & 0o777, 0o666);
    assert.equal(statSync(join(layout.socketDir, 'dict.sock')).mode & 0o777, 0o666);
    const q = await run('runuser', ['-u', 'postfix', '--', 'postmap', '-q', 'alice+x@example.com', `socketmap:unix:${sock}:mailbox`]);
    assert.equal(q.stdout, 'example.com/alice/\n');
    const exited = new Promise<number | null>((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    server = undefined;
    assert.equal(await exitCode(probe, env), 1);
  });
});
