import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import type { DirectoryStore } from './directory-store.js';
import { MemoryStore } from './memory-store.js';

/** Builds the store named by `store.url`. */
export function createStore(config: AppConfig, logger: Logger): DirectoryStore {
  void logger;
  const url = config.store.url;
  if (url === 'memory:') return new MemoryStore();
  throw new ConfigError(`store.url: unsupported store "${url.split(':')[0]}:" (use memory:)`);
}
