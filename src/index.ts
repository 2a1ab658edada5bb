import type { Logger } from 'pino';
import { readSecret, type AppConfig } from './config/config.js';
import { parseEndpoint } from './config/formats.js';
import { AuthLookup } from './lookup/auth-lookup.js';
import { DictLookup } from './lookup/dict-lookup.js';
import { ConfigError } from './errors.js';
import { lookupSocketmap, SocketmapAnswers } from './lookup/socketmap-lookup.js';
import type { LookupResult } from './lookup/lookup-result.js';
import { createProvider } from './providers/provider-factory.js';
import type { DirectoryProvider } from './providers/provider.js';
import { LookupCounters } from './ops/lookup-counters.js';
import { OpsHttpServer } from './ops/http-server.js';
import { createMetrics } from './ops/metrics.js';
import { createPushSurface } from './scim/push-surface.js';
import { AuthHttpServer } from './servers/auth-http-server.js';
import { Listener, type ConnectionHandler } from './servers/listener.js';
import { serveDict } from './servers/dict-connection.js';
import { serveSocketmap } from './servers/socketmap-connection.js';
import { ResolverCache } from './lookup/resolver-cache.js';
import type { DirectoryStore } from './store/directory-store.js';
import { createStore } from './store/store-factory.js';
import type { SyncEngine } from './sync/sync-engine.js';
import { createSyncEngine } from './sync/sync-factory.js';
import { applyReload, type ReloadOutcome } from './service-reload.js';
import type { WorkerLink } from './cluster/worker-link.js';
import { configForRole } from './cluster/roles.js';

/** Parts a caller (tests, embedding code) may supply instead of the configured ones. */
export interface ServiceDeps {
  readonly logger: Logger;
  readonly provider?: DirectoryProvider;
  readonly store?: DirectoryStore;
  /** The clock app-password expiry is checked against (tests move it); default Date.now. */
  readonly now?: () => number;
  /**
   * Set in a worker of `workers` > 1: the primary owns the socket files and sums /metrics; the
   * worker's role picks its listeners and leadership.
   */
  readonly worker?: WorkerLink;
}

/** A running mailroster: listeners, store and sync, started and stopped together. */
export interface Service {
  readonly store: DirectoryStore;
  readonly sync: SyncEngine;
  readonly resolvers: ResolverCache;
  readonly socketmap: Listener;
  /** The Dovecot dict listener (binds nothing while `dict.listen` is empty). */
  readonly dict: Listener;
  /** Lookup and protocol-error counts (also on /metrics). */
  readonly counters: LookupCounters;
  /** The operations HTTP server (bound only when `http.listen` is set). */
  readonly http: OpsHttpServer;
  /** The Dovecot 2.4 auth endpoint (undefined while `auth.listen` is empty). */
  readonly auth: AuthHttpServer | undefined;
  /** Binds the listeners, starts the store, then the first sync (lookups answer TEMP until it lands). */
  start(): Promise<void>;
  /** Answers a socketmap query as the server would. */
  lookup(map: string, key: string): LookupResult;
  /**
   * Applies a new configuration without dropping connections: log level, connection limits,
   * provider and sync settings (a directory path included) change live; other changed keys are
   * reported as needing a restart. Rejects, changing nothing, if the new provider cannot be built.
   */
  reload(next: AppConfig): Promise<ReloadOutcome>;
  /** Stops accepting, answers what connections have sent, releases everything. */
  stop(): Promise<void>;
}

/** The composition root: builds every part from one validated config. */
export function createService(configured: AppConfig, deps: ServiceDeps): Service {
  const { logger } = deps;
  const role = deps.worker?.role ?? 'both';
  const config = configForRole(configured, role);
  const store = deps.store ?? createStore(config, logger.child({ component: 'store' }), {
    leadership: role === 'serve' ? 'follow' : 'candidate', ...(deps.worker && { lock: deps.worker.lock }),
  });
  const provider = deps.provider ?? createProvider(config, logger.child({ component: 'provider' }));
  const resolvers = new ResolverCache(store, config.addresses);
  const sync = createSyncEngine(config, { provider, store, logger: logger.child({ component: 'sync', provider: provider.name }) });
  const counters = new LookupCounters();
  const socketmapOptions = {
    answers: new SocketmapAnswers(resolvers, counters), counters, maxRequestBytes: config.socketmap.maxRequestBytes,
    idleTimeoutMs: config.socketmap.idleTimeoutMs, requestTimeoutMs: config.socketmap.requestTimeoutMs,
  };
  const ownsSocketFiles = deps.worker === undefined;
  const socketmap = listenerFor('socketmap', config.socketmap, logger, ownsSocketFiles, (socket, log) => serveSocketmap(socket, log, { ...socketmapOptions }));
  const dictOptions = {
    lookup: new DictLookup(store, resolvers, config.dict, deps.now), counters,
    maxLineBytes: config.dict.maxLineBytes, idleTimeoutMs: config.dict.idleTimeoutMs, requestTimeoutMs: config.dict.requestTimeoutMs,
  };
  const dict = listenerFor('dict', config.dict, logger, ownsSocketFiles, (socket, log) => serveDict(socket, log, { ...dictOptions }));
  const listeners = { socketmap, dict };
  const push = createPushSurface(config, { store, sync, logger });
  const registry = createMetrics({
    counters, store, sync, push: push.counters,
    connections: () => Object.fromEntries(Object.entries(listeners).map(([proto, l]) => [proto, l.connectionCount])),
  });
  const auth = createAuthServer(config, resolvers, store, counters, logger, deps.now);
  const expected = { socketmap: config.socketmap.listen.length, dict: config.dict.listen.length };
  const notReady = (): string | undefined => {
    for (const [proto, l] of Object.entries(listeners)) {
      if (l.addresses.length < expected[proto as keyof typeof expected]) return `${proto} listener not bound`;
    }
    return auth && !auth.address ? 'auth listener not bound' : undefined;
  };
  const worker = deps.worker && { id: deps.worker.id, pid: process.pid, role };
  const http = new OpsHttpServer({
    store, sync, registry, logger, notReady, routes: push.routes, provider: () => provider.status?.(),
    ...(deps.worker && { metrics: deps.worker.metricsOf(registry) }),
    status: () => ({ ...(worker && { worker }), ...(push.scim && { scim: { pendingDeletions: push.scim.pendingDeletions() } }) }),
  });
  let firstSync: Promise<void> | undefined;
  let current = config;
  const reloadTargets = {
    logger, sync, listeners, connectionLimits: { socketmap: socketmapOptions, dict: dictOptions },
    makeProvider: (next: AppConfig) => createProvider(next, logger.child({ component: 'provider' })),
  };

  return {
    store, sync, resolvers, socketmap, dict, counters, http, auth,
    async start() {
      // Listen first: until a directory is loaded Postfix gets TEMP (defer), not a refused connection.
      await socketmap.start();
      await dict.start();
      await auth?.start(parseEndpoint(config.auth.listen));
      if (config.http.listen !== '') await http.start(parseEndpoint(config.http.listen));
      await store.start();
      // Only its end is awaited (at stop): keeping the outcome would pin its diff, and with it the snapshots it compares.
      firstSync = sync.start().then(() => undefined);
    },
    lookup: (map, key) => lookupSocketmap(resolvers, map, key),
    async reload(configuredNext) {
      const next = configForRole(configuredNext, role);
      const outcome = await applyReload(reloadTargets, current, next);
      current = next;
      return outcome;
    },
    async stop() {
      // Listeners first (each connection answers what it has received), and all at once.
      await Promise.all([socketmap.close(), dict.close(), auth?.close(), http.close()]);
      // Stopping the sync aborts a provider call in progress; only then wait for the first sync.
      await sync.stop();
      await firstSync;
      await store.close();
      await sync.provider.close?.();
    },
  };
}

/** The auth endpoint when `auth.listen` is set; its secret is required then. */
function createAuthServer(config: AppConfig, resolvers: ResolverCache, store: DirectoryStore, counters: LookupCounters, logger: Logger, now?: () => number): AuthHttpServer | undefined {
  const a = config.auth;
  if (a.listen === '') return undefined;
  const secret = readSecret(a.secret, a.secretFile, 'auth.secretFile');
  if (secret === '') throw new ConfigError('auth.listen is set but auth.secret (or auth.secretFile) is empty: the endpoint hands out password hashes');
  return new AuthHttpServer({
    lookup: new AuthLookup(store, resolvers, config.dict, now), secret, counters, logger,
    maxHeaderBytes: a.maxHeaderBytes, maxConnections: a.maxConnections,
  });
}

/** The listener settings `socketmap` and `dict` share. */
interface ListenerSection {
  readonly listen: readonly string[];
  readonly socketMode: string;
  readonly socketOwner: string;
  readonly socketGroup: string;
  readonly maxConnections: number;
}

function listenerFor(proto: string, section: ListenerSection, logger: Logger, ownsSocketFiles: boolean, handler: ConnectionHandler): Listener {
  return new Listener({
    proto, logger, handler, ownsSocketFiles,
    endpoints: section.listen.map(parseEndpoint),
    permissions: { mode: section.socketMode, owner: section.socketOwner, group: section.socketGroup },
    maxConnections: section.maxConnections,
  });
}

export { loadConfig, type AppConfig } from './config/config.js';
export { createLogger } from './logger.js';
export { reloadConfiguration, type ReloadOutcome } from './service-reload.js';
export { Directory } from './directory/directory.js';
export type { DirectoryData } from './directory/directory-data.js';
