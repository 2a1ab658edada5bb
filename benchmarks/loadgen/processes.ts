import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, waitFor } from '../../test/helpers/net.js';
import { socketmapClient } from '../../test/helpers/socketmap-client.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (dist/benchmarks/loadgen -> ../../..). */
export const ROOT = join(here, '..', '..', '..');
const CLK_TCK = 100;

/** What one closed-loop run reports (see socketmap-load.c). */
export interface LoadStats {
  readonly all_requests: number;
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p99_us: number;
  readonly p999_us: number;
  readonly max_us: number;
  readonly ok: number;
  readonly notfound: number;
  readonly temp: number;
  readonly other: number;
}

/** Compiles the C load client from benchmarks/loadgen/socketmap-load.c into `outDir`. */
export async function compileLoadClient(outDir: string): Promise<string> {
  const bin = join(outDir, 'socketmap-load');
  await run('gcc', ['-O2', '-Wall', '-o', bin, join(ROOT, 'benchmarks', 'loadgen', 'socketmap-load.c')]);
  return bin;
}

/** Runs the C client: `connections` lockstep connections, warm-up, then the measured window. */
export async function runLoad(bin: string, target: string, connections: number, warmupS: number, measureS: number, keyFile: string): Promise<LoadStats> {
  const { stdout } = await run(bin, [target, String(connections), String(warmupS), String(measureS), keyFile], { timeout: (warmupS + measureS) * 1000 + 30_000 });
  return JSON.parse(stdout) as LoadStats;
}

/** CPU seconds (user + system) and memory of a process, from /proc. */
export function procStats(pid: number): { cpuS: number; rssMiB: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { cpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK, rssMiB: kb('VmRSS') / 1024, peakRssMiB: kb('VmHWM') / 1024 };
}

/** `pid` and its children (a primary and its workers): /proc has no children list here, so every stat is read. */
function processTree(pid: number): number[] {
  const pids = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU seconds of `pid` and of its children. */
export function treeCpuS(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + procStatsOrZero(p).cpuS, 0);
}

/** Resident memory of `pid` and of its children, MiB. */
export function treeRssMiB(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + procStatsOrZero(p).rssMiB, 0);
}

function procStatsOrZero(pid: number): { cpuS: number; rssMiB: number } {
  try {
    return procStats(pid);
  } catch {
    return { cpuS: 0, rssMiB: 0 };
  }
}

/** A server process under test. */
export interface ServerProcess {
  readonly pid: number;
  readonly tcp: string;
  readonly unix: string;
  /** Seconds from spawn until it answered `probe` with OK. */
  readonly readySeconds: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** Starts the floor server (a constant answer) on TCP and `unixPath`. */
export async function startFloor(unixPath: string): Promise<ServerProcess> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(here, 'floor-server.js'), unixPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (b: Buffer) => resolve(b.toString()));
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
  const ep = JSON.parse(line) as { tcp: number; unix: string };
  return { pid: child.pid!, tcp: `tcp:127.0.0.1:${ep.tcp}`, unix: `unix:${ep.unix}`, readySeconds: Number(process.hrtime.bigint() - start) / 1e9, stop: stopper(child) };
}

/**
 * Starts `mailroster serve` (the real CLI) with `env` on top of a loopback TCP port and a UNIX
 * socket, and waits until `probe` (e.g. `mailbox user0@d0.example`) answers OK.
 */
export async function startMailroster(unixPath: string, env: Record<string, string>, probe: [string, string], timeoutMs = 120_000, workers = 0): Promise<ServerProcess> {
  const port = await freePort();
  const start = process.hrtime.bigint();
  // workers > 0: `serve` with that many workers (env must name a Redis store).
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli.js'), 'serve'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, MAILROSTER_LOG_LEVEL: 'warn', MAILROSTER_SOCKETMAP_LISTEN: `127.0.0.1:${port},${unixPath}`,
      ...(workers > 0 && { MAILROSTER_WORKERS: String(workers) }), ...env,
    },
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    // Several workers: every one must answer, and connections land on any of them.
    const probes = workers > 0 ? 8 * workers : 1;
    await waitFor(async () => {
      for (let i = 0; i < probes; i++) {
        if (exited) throw new Error('mailroster exited before answering');
        const c = await socketmapClient({ kind: 'tcp', host: '127.0.0.1', port });
        try {
          if (!(await c.query(probe[0], probe[1])).startsWith('OK ')) return false;
        } finally {
          c.close();
        }
      }
      return true;
    }, timeoutMs, 'mailroster to answer');
  } catch (err) {
    await stopper(child)();
    throw err;
  }
  return { pid: child.pid!, tcp: `tcp:127.0.0.1:${port}`, unix: `unix:${unixPath}`, readySeconds: Number(process.hrtime.bigint() - start) / 1e9, stop: stopper(child) };
}
