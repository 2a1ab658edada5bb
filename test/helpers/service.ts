import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { createService, type Service } from '../../src/index.js';
import { tempDir } from './temp.js';

/** A silent logger, or one that collects its JSON lines for assertions. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void chunks.push(s) });
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

/** Config for tests: loopback port 0, nothing from the environment, overrides on top. */
export function testConfig(overrides: Record<string, unknown> = {}): AppConfig {
  return loadConfig({ env: {}, overrides: { socketmap: { listen: ['127.0.0.1:0'] }, ...overrides } }).config;
}

/** A running service over a directory file written from `yaml`; `stop` cleans everything up. */
export async function startFileService(
  yaml: string,
  overrides: Record<string, unknown> = {},
): Promise<{ service: Service; dir: string; file: string; logs: () => Record<string, unknown>[]; stop: () => Promise<void> }> {
  const tmp = tempDir();
  const file = join(tmp.path, 'directory.yaml');
  writeFileSync(file, yaml);
  const config = testConfig({ provider: { type: 'file', file: { path: file } }, ...overrides });
  const { logger, lines } = captureLogger();
  const service = createService(config, { logger });
  await service.start();
  await service.sync.syncNow();
  return {
    service, dir: tmp.path, file, logs: lines,
    stop: async () => {
      await service.stop();
      tmp.remove();
    },
  };
}
