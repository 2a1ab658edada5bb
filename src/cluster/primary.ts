import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { AppConfig } from '../config/config.js';
import { parseEndpoint } from '../config/formats.js';
import { EXIT, StartupError } from '../errors.js';
import { removeStaleSocket } from '../servers/socket-file.js';
import { isClusterMessage } from './messages.js';
import { CLUSTER_ENV, HEIR_ENV, ROLE_ENV, workerRoles, type WorkerRole } from './roles.js';

/** First wait before replacing a crashed worker; doubled per crash in a row, up to the cap. */
const RESTART_DELAY_MS = 1000;
const RESTART_DELAY_CAP_MS = 30_000;
/** A worker that ran this long before crashing resets the doubling. */
const STABLE_AFTER_MS = 60_000;

/** Timings a test may shorten. */
export interface PrimaryOptions {
  /** How long workers get to stop before they are killed. */
  readonly stopTimeoutMs: number;
}

interface Slot {
  readonly role: WorkerRole;
  worker: Worker;
  startedAt: number;
  started: boolean;
  crashes: number;
}

/**
 * `mailroster serve` with `workers` > 1: forks the workers and keeps them running: `workers`
 * serving ones and, for a pulled provider, one sync worker that binds nothing (see
 * {@link WorkerRole}). It holds no directory and answers nothing itself. node:cluster binds every
 * listener here and hands each accepted connection to a worker in turn
 * (NODE_CLUSTER_SCHED_POLICY=none leaves that to the kernel instead), so the UNIX socket files
 * belong to this process: it removes stale ones before the first fork and the live ones at
 * exit. SIGTERM/SIGINT stop every worker gracefully, SIGHUP makes each reload, and /metrics
 * (answered by whichever worker gets the scrape) is the sum that this process collects from all
 * of them. A crashed worker is replaced after 1 s, doubling to 30 s while crashes follow each
 * other; the others keep serving meanwhile. A worker that exits before it has started, with
 * none of its role started, is a failed start: every worker is stopped and its exit code
 * returned.
 */
export async function runPrimary(config: AppConfig, logger: Logger, options: PrimaryOptions): Promise<number> {
  const paths = socketPaths(config);
  for (const path of paths) {
    await removeStaleSocket(path).catch((err: Error) => {
      throw new StartupError(`${path}: ${err.message}`, EXIT.CANTCREAT, { cause: err });
    });
  }
  // node:cluster creates the socket files here, not in the worker that narrows its umask around
  // listen(): keep them owner-only until that worker applies the configured socketMode.
  process.umask(0o177);
  const aggregator = new AggregatorRegistry();
  const clusterId = randomBytes(4).toString('hex');
  const slots: Slot[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let exitCode = 0;

  const fork = (role: WorkerRole, slot?: Slot): void => {
    // A new sync worker may take a dead one's lock at once: no sync is missed for the lock's lifetime.
    const heir = role === 'sync' && slot?.worker.process.pid;
    const worker = cluster.fork({ [ROLE_ENV]: role, [CLUSTER_ENV]: clusterId, ...(heir && { [HEIR_ENV]: String(heir) }) });
    const s = slot ?? { role, worker, startedAt: 0, started: false, crashes: 0 };
    Object.assign(s, { worker, startedAt: Date.now(), started: false });
    if (!slot) slots.push(s);
    worker.on('message', (m: unknown) => {
      if (!isClusterMessage(m)) return;
      if (m.type === 'mailroster:started') {
        s.started = true;
        logger.info({ worker: worker.id, pid: worker.process.pid, workerRole: s.role }, 'worker started');
      } else if (m.type === 'mailroster:metrics') {
        aggregator.clusterMetrics().then(
          (text) => worker.isConnected() && worker.send({ type: 'mailroster:metrics-reply', id: m.id, text }),
          (err: Error) => worker.isConnected() && worker.send({ type: 'mailroster:metrics-reply', id: m.id, error: err.message }),
        );
      }
    });
    // A send racing the worker's death fails with an 'error' event; unheard, it would end the primary.
    worker.on('error', (err) => logger.warn({ err, worker: worker.id }, 'message to a worker failed'));
    worker.once('exit', (code, signal) => exited(s, worker, code, signal));
  };

  const alive = (): Slot[] => slots.filter((s) => !s.worker.isDead());

  const exited = (s: Slot, worker: Worker, code: number | null, signal: string | null): void => {
    const ranMs = Date.now() - s.startedAt;
    if (stopping) {
      if (code !== 0 && exitCode === 0) exitCode = 1;
      if (alive().length === 0) finish(exitCode);
      return;
    }
    // Judged per role: the sync worker binds nothing, so it is up long before a listener fails.
    if (!s.started && !alive().some((o) => o.started && o.role === s.role)) {
      logger.error({ worker: worker.id, workerRole: s.role, code, signal }, 'a worker failed to start; stopping');
      exitCode = code ?? EXIT.SOFTWARE;
      return stop();
    }
    s.crashes = ranMs >= STABLE_AFTER_MS ? 1 : s.crashes + 1;
    const delayMs = Math.min(RESTART_DELAY_CAP_MS, RESTART_DELAY_MS * 2 ** (s.crashes - 1));
    logger.error({ worker: worker.id, pid: worker.process.pid, workerRole: s.role, code, signal, ranMs, restartInMs: delayMs }, 'worker exited; the others serve until its replacement starts');
    const timer = setTimeout(() => (timers.delete(timer), fork(s.role, s)), delayMs);
    timers.add(timer);
  };

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearTimeout(t);
    const running = alive();
    if (running.length === 0) return finish(exitCode);
    for (const s of running) if (s.worker.isConnected()) s.worker.send({ type: 'mailroster:stop' });
    setTimeout(() => {
      logger.error({ timeoutMs: options.stopTimeoutMs }, 'workers took too long to stop; killing them');
      for (const s of alive()) s.worker.process.kill('SIGKILL');
    }, options.stopTimeoutMs + 2000).unref();
  };

  let signals = 0;
  const onStopSignal = (signal: string): void => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal; killing the workers now');
      for (const s of alive()) s.worker.process.kill('SIGKILL');
      process.exit(1);
    }
    logger.info({ signal, workers: alive().length }, 'stopping every worker: no new connections; answering what is in flight');
    stop();
  };
  process.on('SIGINT', onStopSignal).on('SIGTERM', onStopSignal);
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP', workers: alive().length }, 'each worker reloads the configuration');
    for (const s of alive()) if (s.worker.isConnected()) s.worker.send({ type: 'mailroster:reload' });
  });

  const roles = workerRoles(config);
  logger.info({ workers: config.workers, syncWorker: roles.includes('sync') }, 'starting workers');
  for (const role of roles) fork(role);
  const code = await done;
  // The last worker to close its listener usually took the files with it; a killed one did not.
  for (const path of paths) await unlink(path).catch(() => undefined);
  logger.info({ code }, 'stopped');
  return code;
}

/** Every UNIX socket path any listener is configured with. */
function socketPaths(config: AppConfig): string[] {
  const all = [...config.socketmap.listen, ...config.dict.listen, config.auth.listen, config.http.listen].filter((l) => l !== '');
  return all.map(parseEndpoint).flatMap((ep) => (ep.kind === 'unix' ? [ep.path] : []));
}
