import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import type { DirectoryProvider } from '../providers/provider.js';
import type { DirectoryStore } from '../store/directory-store.js';
import { SyncEngine } from './sync-engine.js';

/** Builds the sync engine with every `sync.*` setting of the configuration. */
export function createSyncEngine(config: AppConfig, parts: { provider: DirectoryProvider; store: DirectoryStore; logger: Logger }): SyncEngine {
  return new SyncEngine({ ...parts, ...syncSettings(config) });
}

/** The `sync.*` settings as sync engine options (also what a config reload hands over). */
export function syncSettings(config: AppConfig) {
  const s = config.sync;
  return {
    intervalSeconds: s.intervalSeconds,
    jitter: s.jitter,
    retryInitialSeconds: s.retryInitialSeconds,
    retryMaxSeconds: s.retryMaxSeconds,
    maxDeletePercent: s.maxDeletePercent,
    deleteGuardFloor: s.deleteGuardFloor,
    changesIntervalSeconds: s.changesIntervalSeconds,
  };
}
