import cluster from 'node:cluster';
import type { AppConfig, ConfigSources } from './config/config.js';
import { runPrimary } from './cluster/primary.js';
import { WorkerLink } from './cluster/worker-link.js';
import { createLogger } from './logger.js';
import { createService, reloadConfiguration } from './index.js';

/** Longest a graceful stop may take before the process exits anyway (systemd waits 90 s). */
const STOP_TIMEOUT_MS = 10_000;

/**
 * `mailroster serve`: runs the service and wires process signals to it. SIGTERM/SIGINT stop
 * gracefully (exit 0, or 1 past {@link STOP_TIMEOUT_MS}); a second one exits at once. SIGHUP
 * reloads the configuration from `sources`. A broken directory file does not stop the server:
 * it answers TEMP (and /healthz 503) until a good file is loaded, so mail is deferred, not bounced.
 * With `workers` > 1 this process becomes the primary ({@link runPrimary}) and each worker it
 * forks runs this command again, as a service that takes its stop and reload from the primary.
 */
export async function serveCommand(config: AppConfig, sources: ConfigSources): Promise<number> {
  if (config.workers > 1 && cluster.isPrimary) {
    return runPrimary(config, createLogger(config.log.level, undefined, { role: 'primary' }), { stopTimeoutMs: STOP_TIMEOUT_MS });
  }
  const link = cluster.isWorker ? new WorkerLink() : undefined;
  const logger = createLogger(config.log.level, undefined, link ? { worker: link.id } : {});
  const service = createService(config, { logger, ...(link && { worker: link }) });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      // The primary's stop often follows the same signal sent to the whole process group.
      if (signal === 'primary') return;
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections; answering what is in flight');
    setTimeout(() => {
      logger.error({ timeoutMs: STOP_TIMEOUT_MS }, 'graceful stop took too long; exiting');
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    service.stop().then(
      () => (logger.info('stopped'), process.exit(0)),
      (err: unknown) => (logger.error({ err }, 'stop failed'), process.exit(1)),
    );
  };
  const reload = (): void => {
    logger.info({ signal: 'SIGHUP' }, 'reloading the configuration');
    void reloadConfiguration(service, sources, logger);
  };
  process.on('SIGINT', stop).on('SIGTERM', stop).on('SIGHUP', reload);
  link?.onCommands({ stop: () => stop('primary'), reload });
  // A forgotten promise must not stop mail for everyone: log it loudly and keep serving.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection (a bug); still serving'));
  try {
    await service.start();
  } catch (err) {
    // Unbind what did start (and remove its socket files) before reporting why.
    await service.stop().catch(() => undefined);
    throw err;
  }
  link?.started();
  return new Promise<number>(() => undefined);
}
