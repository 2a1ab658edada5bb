// A multi-process mailroster for the benchmark only: the primary forks MAILROSTER_BENCH_WORKERS
// workers, each a whole service with its own snapshot, sharing the configured listeners through
// node:cluster (NODE_CLUSTER_SCHED_POLICY=none leaves accept() to the kernel, the closest Node 20
// comes to SO_REUSEPORT; the default "rr" has the primary hand out connections).
import cluster from 'node:cluster';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { createService } from '../../src/index.js';

if (cluster.isPrimary) {
  const workers = Number(process.env.MAILROSTER_BENCH_WORKERS ?? 2);
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const { config } = loadConfig({ env: process.env });
  const service = createService(config, { logger: createLogger(config.log.level) });
  await service.start();
  process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
}
