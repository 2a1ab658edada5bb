import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DirectoryStore } from '../store/directory-store.js';
import type { PushCounters } from '../scim/scim-counters.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import type { LookupCounters } from './lookup-counters.js';

/** What the metrics read at scrape time. */
export interface MetricSources {
  readonly counters: LookupCounters;
  readonly store: DirectoryStore;
  readonly sync: SyncEngine;
  /** Open connections per protocol. */
  readonly connections: () => Record<string, number>;
  /** SCIM requests, pushed changes and webhook deliveries. */
  readonly push?: PushCounters;
}

/**
 * A Prometheus registry for one service. Every value is read from its owner when scraped (the
 * `collect` callbacks), so nothing on the lookup path knows about Prometheus.
 */
export function createMetrics(src: MetricSources): Registry {
  const registry = new Registry();
  // No prefix: the standard process_* and nodejs_* names, which stock dashboards query.
  collectDefaultMetrics({ register: registry });
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
  // With several workers the primary sums counters (the default) and joins these gauges as
  // their `aggregator` says: ready only if every worker is, the worst staleness.
  const gauge = (name: string, help: string, aggregator: 'min' | 'max', read: () => number | undefined): Gauge =>
    new Gauge({ name, help, aggregator, registers: [registry], collect() { const v = read(); if (v !== undefined) this.set(v); } });
  gauge('mailroster_ready', '1 while a complete directory is served', 'min', () => (src.store.status().ready ? 1 : 0));
  gauge('mailroster_directory_mailboxes', 'Mailboxes in the served directory', 'max', () => src.store.status().mailboxes);
  gauge('mailroster_directory_stale_seconds', 'Seconds since the served directory was last confirmed current', 'max', () => src.store.status().staleSeconds);
  const counter = (name: string, help: string, read: () => number): Counter =>
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  counter('mailroster_sync_changes_applied_total', 'Single-entry changes applied from the provider feed or a webhook re-read', () => src.sync.stats.changesApplied);
  counter('mailroster_scim_changes_total', 'SCIM resources changed by applied pushes', () => src.push?.changes ?? 0);
  new Counter({
    name: 'mailroster_scim_requests_total', help: 'SCIM requests by operation (create_user, patch_group, list_users, discovery...) and HTTP status',
    labelNames: ['operation', 'status'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const r of src.push?.requests() ?? []) this.inc({ operation: r.operation, status: r.status }, r.count);
    },
  });
  new Counter({
    name: 'mailroster_webhook_deliveries_total', help: 'Webhook deliveries by outcome (user, sync, unauthorized, invalid, refused)',
    labelNames: ['outcome'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const [outcome, n] of src.push?.hooks ?? []) this.inc({ outcome }, n);
    },
  });
  new Gauge({
    name: 'mailroster_connections', help: 'Open connections by protocol', labelNames: ['proto'] as const, registers: [registry],
    collect() {
      for (const [proto, n] of Object.entries(src.connections())) this.set({ proto }, n);
    },
  });
  return registry;
}
