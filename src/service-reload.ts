import type { Logger } from 'pino';
import { loadConfig, type AppConfig, type ConfigSources } from './config/config.js';
import { setLogLevel } from './logger.js';
import type { DirectoryProvider } from './providers/provider.js';
import type { Listener } from './servers/listener.js';
import type { SyncEngine } from './sync/sync-engine.js';
import { syncSettings } from './sync/sync-factory.js';

/** What a reload did: keys applied live, and keys that changed but only take effect on restart. */
export interface ReloadOutcome {
  readonly applied: readonly string[];
  readonly restartNeeded: readonly string[];
}

/** Connection settings read by each new connection (the objects are shared, so changes apply live). */
interface ConnectionLimits {
  maxRequestBytes?: number;
  maxLineBytes?: number;
  idleTimeoutMs: number;
  requestTimeoutMs?: number;
}

/** The parts of a running service a reload may change. */
export interface ReloadTargets {
  readonly logger: Logger;
  readonly listeners: Readonly<Record<'socketmap' | 'dict', Listener>>;
  readonly connectionLimits: Readonly<Record<'socketmap' | 'dict', ConnectionLimits>>;
  readonly sync: SyncEngine;
  /** Builds the provider a config names; throws (ConfigError) when it cannot, e.g. a missing secret file. */
  readonly makeProvider: (config: AppConfig) => DirectoryProvider;
}

/** Keys (prefixes) that apply without a restart; everything else is bound at start. */
const LIVE = ['log.level', 'provider.', 'sync.', ...['socketmap', 'dict'].flatMap((p) => ['maxConnections', 'maxRequestBytes', 'maxLineBytes', 'idleTimeoutMs', 'requestTimeoutMs'].map((k) => `${p}.${k}`))];

/** Dotted keys whose values differ between two configurations. */
export function changedKeys(a: unknown, b: unknown, prefix = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${prefix}${k}.`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix.slice(0, -1)];
}

/**
 * Applies what changed from `current` to `next` to a running service, connections untouched.
 * A new provider is built before anything changes: if that fails the reload is refused whole.
 */
export async function applyReload(targets: ReloadTargets, current: AppConfig, next: AppConfig): Promise<ReloadOutcome> {
  const changed = changedKeys(current, next);
  const applied = changed.filter((k) => LIVE.some((l) => (l.endsWith('.') ? k.startsWith(l) : k === l)));
  const restartNeeded = changed.filter((k) => !applied.includes(k));
  const providerChanged = applied.some((k) => k.startsWith('provider.'));
  const provider = providerChanged ? targets.makeProvider(next) : targets.sync.provider;
  if (current.log.level !== next.log.level) setLogLevel(targets.logger, next.log.level);
  for (const proto of ['socketmap', 'dict'] as const) {
    targets.listeners[proto].maxConnections = next[proto].maxConnections;
    const limits = targets.connectionLimits[proto];
    limits.idleTimeoutMs = next[proto].idleTimeoutMs;
    limits.requestTimeoutMs = next[proto].requestTimeoutMs;
  }
  targets.connectionLimits.socketmap.maxRequestBytes = next.socketmap.maxRequestBytes;
  targets.connectionLimits.dict.maxLineBytes = next.dict.maxLineBytes;
  if (providerChanged || applied.some((k) => k.startsWith('sync.'))) void targets.sync.reconfigure({ provider, ...syncSettings(next) });
  return { applied, restartNeeded };
}

/**
 * What SIGHUP does: re-reads the configuration and applies it. A configuration that does not
 * load or validate is refused with its reasons logged, and the running one stays.
 */
export async function reloadConfiguration(
  service: { reload(next: AppConfig): Promise<ReloadOutcome> },
  sources: ConfigSources,
  logger: Logger,
): Promise<ReloadOutcome | undefined> {
  try {
    const { config } = loadConfig(sources);
    const outcome = await service.reload(config);
    if (outcome.restartNeeded.length > 0) logger.warn({ keys: outcome.restartNeeded }, 'configuration reloaded; these changes need a restart');
    logger.info({ applied: outcome.applied }, 'configuration reloaded');
    return outcome;
  } catch (err) {
    logger.error({ err }, `configuration reload refused; the running configuration stays: ${(err as Error).message}`);
    return undefined;
  }
}
