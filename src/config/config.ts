import { readFileSync } from 'node:fs';
import convict from 'convict';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { CONVICT_FORMATS } from './formats.js';
import { authSchema } from './schema-auth.js';
import { dictSchema } from './schema-dict.js';
import { oauth2Schema } from './schema-oauth2.js';
import { providerSchema } from './schema-provider.js';
import { scimSchema } from './schema-scim.js';
import { serverSchema } from './schema-server.js';
import { storeSchema } from './schema-store.js';

convict.addFormats(CONVICT_FORMATS);
convict.addParser([
  { extension: 'json', parse: JSON.parse },
  { extension: ['yml', 'yaml'], parse: parseYaml },
]);

/** The whole schema: every key has doc, format, default and env. */
export const SCHEMA = { ...serverSchema, ...dictSchema, ...authSchema, ...storeSchema, ...providerSchema, ...oauth2Schema, ...scimSchema };

function newConfig() {
  return convict(SCHEMA, { env: {}, args: [] });
}

/** The validated, frozen configuration every part of mailroster reads. */
export type AppConfig = ReturnType<ReturnType<typeof newConfig>['getProperties']>;

/** Where configuration comes from; process.env and no file by default. */
export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides applied last (tests, the CLI). */
  overrides?: Record<string, unknown>;
}

/**
 * Loads, validates strictly (unknown keys are errors) and freezes the configuration. Every error
 * is reported at once, in one ConfigError. `...File` secret keys are read here, so nothing else
 * touches secret files.
 */
export function loadConfig(sources: ConfigSources = {}): { config: AppConfig; redacted: () => string } {
  const cfg = convict(SCHEMA, { env: sources.env ?? process.env, args: [] });
  const errors: string[] = [];
  if (sources.file !== undefined) {
    try {
      cfg.loadFile(sources.file);
    } catch (err) {
      throw new ConfigError(`${sources.file}: cannot be read or parsed: ${(err as Error).message}`, { cause: err });
    }
  }
  if (sources.overrides) cfg.load(sources.overrides);
  try {
    cfg.validate({ allowed: 'strict' });
  } catch (err) {
    errors.push(...(err as Error).message.split('\n').filter(Boolean));
  }
  errors.push(...crossKeyErrors(cfg.get('workers'), cfg.get('store.url')));
  if (errors.length > 0) {
    const where = sources.file ? `${sources.file}: ` : '';
    throw new ConfigError(`${where}invalid configuration (${errors.length} error(s)):\n  ${errors.join('\n  ')}`);
  }
  const config = deepFreeze(cfg.getProperties());
  // convict's toString() masks every key marked sensitive.
  return { config, redacted: () => cfg.toString() };
}

/** Reads a secret from `value`, or from the file named by `file` when that is set. */
export function readSecret(value: string, file: string, what: string): string {
  if (file === '') return value;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${what}: cannot read secret file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Rules that join keys, checked with the rest so every error is reported at once. */
function crossKeyErrors(workers: unknown, storeUrl: unknown): string[] {
  if (typeof workers !== 'number' || workers <= 1 || storeUrl !== 'memory:') return [];
  return ['workers: more than one worker needs the Redis store (store.url): with memory: each worker would sync on its own and a SCIM push would reach one worker only'];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
