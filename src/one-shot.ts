import { pino } from 'pino';
import type { AppConfig } from './config/config.js';
import { Directory } from './directory/directory.js';
import { lookupSocketmap } from './lookup/socketmap-lookup.js';
import type { LookupResult } from './lookup/lookup-result.js';
import { createLogger } from './logger.js';
import { createProvider } from './providers/provider-factory.js';
import { ResolverCache } from './lookup/resolver-cache.js';
import { createStore } from './store/store-factory.js';

/**
 * Fetches and validates the provider's directory once, writing nothing anywhere: what
 * `check-config` reports and what `lookup` answers from with the in-memory store.
 */
export async function fetchDirectoryOnce(config: AppConfig): Promise<Directory> {
  // Provider warnings (skipped users, retries) go to stderr, away from the command's output.
  const provider = createProvider(config, createLogger(config.log.level, pino.destination(2)));
  try {
    // A one-off check reads no app password key: each read is an event in the provider's log.
    const data = await provider.fetchDirectory(new AbortController().signal, { readSecrets: false });
    return Directory.build(data, { strict: provider.strict, source: provider.source ?? provider.name });
  } finally {
    await provider.close?.();
  }
}

/**
 * Answers one socketmap query as a running server would. With a shared store (Redis) the answer
 * comes from what the store holds, and the provider is not called: a one-off command must neither
 * take the sync lock nor write. With the in-memory store it comes from the provider.
 */
export async function lookupOnce(config: AppConfig, map: string, key: string): Promise<LookupResult> {
  if (config.store.url === 'memory:') {
    let directory: Directory | undefined;
    let reason = '';
    try {
      directory = await fetchDirectoryOnce(config);
    } catch (err) {
      reason = (err as Error).message;
    }
    const source = { current: () => directory, unavailableReason: () => reason };
    return lookupSocketmap(new ResolverCache(source, config.addresses), map, key);
  }
  const store = createStore(config, createLogger('silent'));
  try {
    await store.start();
    return lookupSocketmap(new ResolverCache(store, config.addresses), map, key);
  } finally {
    await store.close();
  }
}
