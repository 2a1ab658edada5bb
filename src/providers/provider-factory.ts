import type { AppConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { FileProvider } from './file-provider.js';
import type { DirectoryProvider } from './provider.js';

/** Builds the configured provider; a new provider adds one case here. */
export function createProvider(config: AppConfig): DirectoryProvider {
  switch (config.provider.type) {
    case 'file':
      return new FileProvider(config.provider.file.path);
    default:
      throw new ConfigError(`provider.type: unknown provider "${config.provider.type}"`);
  }
}
