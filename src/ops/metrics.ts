import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DirectoryStore } from '../store/directory-store.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import type { LookupCounters } from './lookup-counters.js';

/** What the metrics read at scrape time. */
export interface MetricSources {
  readonly counters: LookupCounters;
  readonly store: DirectoryStore;
  readonly sync: SyncEngine;
  /** Open connections per protocol. */
  readonly connections: () => Record<string, number>;
}

/**
 * A Prometheus registry for one service. Every value is read from its owner when scraped (the
 * `collect` callbacks), so nothing on the lookup path knows about Prometheus.
 */
export function createMetrics(src: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mailroster_process_' });
  new Counter({
    name: 'mailroster_lookups_total', help: 'Lookups answered, by protocol, map and result',
    labelNames: ['proto', 'map', 'result'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const l of src.counters.lookups()) this.inc({ proto: l.proto, map: l.map, result: l.result }, l.count);
    },
  });
  new Counter({
    name: 'mailroster_protocol_errors_total', help: 'Connections closed for malformed input, by protocol and code',
    labelNames: ['proto', 'code'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const e of src.counters.protocolErrors()) this.inc({ proto: e.proto, code: e.code }, e.count);
    },
  });
  new Counter({
    name: 'mailroster_syncs_total', help: 'Full syncs by outcome (refused = stopped by the deletion guard)',
    labelNames: ['outcome'] as const, registers: [registry],
    collect() {
      this.reset();
      const s = src.sync.stats;
      this.inc({ outcome: 'applied' }, s.fullSyncs);
      this.inc({ outcome: 'failed' }, s.failures);
      this.inc({ outcome: 'refused' }, s.refused);
    },
  });
  const gauge = (name: string, help: string, read: () => number | undefined): Gauge =>
    new Gauge({ name, help, registers: [registry], collect() { const v = read(); if (v !== undefined) this.set(v); } });
  gauge('mailroster_ready', '1 while a complete directory is served', () => (src.store.status().ready ? 1 : 0));
  gauge('mailroster_directory_mailboxes', 'Mailboxes in the served directory', () => src.store.status().mailboxes);
  gauge('mailroster_directory_stale_seconds', 'Seconds since the served directory was last confirmed current', () => src.store.status().staleSeconds);
  gauge('mailroster_sync_changes_applied', 'Single-entry changes applied from the provider feed', () => src.sync.stats.changesApplied);
  new Gauge({
    name: 'mailroster_connections', help: 'Open connections by protocol', labelNames: ['proto'] as const, registers: [registry],
    collect() {
      for (const [proto, n] of Object.entries(src.connections())) this.set({ proto }, n);
    },
  });
  return registry;
}
