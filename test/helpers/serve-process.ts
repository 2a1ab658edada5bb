import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** A `mailroster serve` child process with its output collected. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Log lines (JSON) written so far. */
  logs(): Record<string, unknown>[];
  exited(): Promise<{ code: number | null; signal: string | null }>;
}

const live = new Set<ChildProcess>();

/** Kills every serve process still running, so a failed test neither hangs its file nor leaks one. */
export function killServeProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Starts `mailroster --config FILE serve` with a clean environment plus `env`. */
export function serveProcess(configFile: string, env: Record<string, string> = {}): ServeProcess {
  const child = spawn(process.execPath, [CLI, '--config', configFile, 'serve'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  live.add(child);
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => (live.delete(child), resolve({ code, signal }))));
  return {
    child,
    output: () => out,
    logs: () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    exited: () => exit,
  };
}
