import type { Logger } from 'pino';
import { readSecret, type AppConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { AuthentikHook } from '../hooks/authentik-hook.js';
import type { HttpRoute } from '../ops/http-route.js';
import type { DirectoryStore } from '../store/directory-store.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { ConfirmDeletionsRoute } from './confirm-route.js';
import { DeletionWindow } from './deletion-window.js';
import { PushCounters } from './scim-counters.js';
import { ScimRoute } from './scim-http.js';
import { ScimMapping } from './scim-mapping.js';
import { ScimOperations } from './scim-operations.js';
import { ScimStore } from './scim-store.js';

/** What a service mounts on http.listen for pushes: SCIM (provider.type=scim) and webhooks. */
export interface PushSurface {
  readonly routes: HttpRoute[];
  readonly counters: PushCounters;
  /** The SCIM operations, when provider.type=scim. */
  readonly scim?: ScimOperations;
}

/** Builds the push endpoints the configuration asks for; a SCIM setup without its requirements is a ConfigError. */
export function createPushSurface(config: AppConfig, parts: { store: DirectoryStore; sync: SyncEngine; logger: Logger }): PushSurface {
  const counters = new PushCounters();
  const routes: HttpRoute[] = [];
  let scim: ScimOperations | undefined;
  if (config.provider.type === 'scim') {
    const token = readSecret(config.scim.token, config.scim.tokenFile, 'scim.tokenFile');
    const missing = [
      token === '' && 'scim.token (or scim.tokenFile)',
      config.provider.domains.length === 0 && 'provider.domains (the hosted domains pushed addresses must be in)',
      config.http.listen === '' && 'http.listen (SCIM is served there)',
    ].filter(Boolean);
    if (missing.length > 0) throw new ConfigError(`provider.type=scim needs ${missing.join(', ')}`);
    const logger = parts.logger.child({ component: 'scim' });
    const store = new ScimStore({
      store: parts.store, logger, domains: config.provider.domains,
      mapping: new ScimMapping(config.provider.domains),
      guard: new DeletionWindow({ maxDeletePercent: config.sync.maxDeletePercent, floor: config.sync.deleteGuardFloor, windowSeconds: config.scim.deleteWindowSeconds, logger }),
      onApplied: (n) => void (counters.changes += n),
    });
    scim = new ScimOperations(store, config.scim.maxResults);
    routes.push(
      new ScimRoute({ operations: scim, token, limits: { maxBytes: config.scim.maxBodyBytes, maxDepth: config.scim.maxDepth }, maxResults: config.scim.maxResults, counters, logger }),
      new ConfirmDeletionsRoute(scim, token, logger),
    );
  }
  const hookSecret = readSecret(config.hooks.authentik.secret, config.hooks.authentik.secretFile, 'hooks.authentik.secretFile');
  if (hookSecret !== '') routes.push(new AuthentikHook({ secret: hookSecret, sync: parts.sync, counters, logger: parts.logger.child({ component: 'hooks' }) }));
  return { routes, counters, ...(scim && { scim }) };
}
