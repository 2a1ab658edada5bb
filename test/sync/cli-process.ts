import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry point. */
export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** Environment for a CLI run against `redisUrl` and `file`: nothing from the caller's environment. */
export function cliEnv(redisUrl: string, file: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    MAILROSTER_STORE_URL: redisUrl,
    MAILROSTER_PROVIDER_FILE_PATH: file,
    MAILROSTER_STORE_POLL_INTERVAL_MS: '200',
    MAILROSTER_SYNC_LOCK_TTL_SECONDS: '2',
    MAILROSTER_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Runs `mailroster ARGS` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

/** Starts `mailroster serve` as a separate process (so a test can SIGKILL it like a crash). */
export function spawnServe(env: NodeJS.ProcessEnv): { proc: ChildProcess; output: () => string; kill: () => Promise<void> } {
  const proc = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  proc.stdout!.on('data', (c: Buffer) => void chunks.push(c.toString()));
  proc.stderr!.on('data', (c: Buffer) => void chunks.push(c.toString()));
  return {
    proc,
    /** Everything the process wrote (its log lines), for failure messages. */
    output: () => chunks.join(''),
    kill: () => (proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => (proc.once('exit', () => r()), proc.kill('SIGKILL')))),
  };
}
