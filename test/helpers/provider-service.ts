import type { Logger } from 'pino';
import { createService, type Service } from '../../src/index.js';
import type { IdpOptions } from '../../src/providers/idp-options.js';
import { idpOptions } from '../../src/providers/provider-factory.js';
import type { DirectoryProvider } from '../../src/providers/provider.js';
import { captureLogger, testConfig } from './service.js';

/**
 * Provider settings for tests: the schema's mapping defaults, example.com hosted, small pages so
 * that a handful of users spans several, short timeouts and a 5 ms backoff step.
 */
export function testIdpOptions(overrides: { provider?: Record<string, unknown> } = {}, logger?: Logger): IdpOptions {
  const config = testConfig({ provider: { domains: ['example.com'], pageSize: 2, http: { timeoutMs: 2000, retries: 2 }, ...overrides.provider } });
  return { ...idpOptions(config, logger), retryBaseMs: 5 };
}

/** A running service on `provider` (no sync timer, config `overrides` on top), after its first sync has landed. */
export async function startProviderService(
  provider: DirectoryProvider,
  probe: string,
  overrides: Record<string, unknown> = {},
): Promise<{ service: Service; logs: () => Record<string, unknown>[]; stop: () => Promise<void> }> {
  const { logger, lines } = captureLogger();
  const service = createService(testConfig({ sync: { intervalSeconds: 0 }, ...overrides }), { logger, provider });
  await service.start();
  // The first sync runs in the background; wait for it by lookups (no clock involved).
  for (let i = 0; service.lookup('mailbox', probe).kind === 'unavailable'; i++) {
    if (i > 1_000_000) throw new Error('the first sync never landed');
    await new Promise((r) => setImmediate(r));
  }
  return { service, logs: lines, stop: () => service.stop() };
}

/** The socketmap answer as Postfix would see it: the value, `NOTFOUND` or the failure kind. */
export function answer(service: Service, map: string, key: string): string {
  const r = service.lookup(map, key);
  return r.kind === 'found' ? r.value : r.kind === 'not-found' ? 'NOTFOUND' : r.kind.toUpperCase();
}
