import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createService, Directory } from '../../src/index.js';
import { grafanaDashboard } from '../../src/ops/grafana-dashboard.js';
import { gatedProvider } from '../helpers/gated-provider.js';
import { captureLogger, testConfig } from '../helpers/service.js';

/** PromQL words that are not metric names. */
const PROMQL = new Set(['sum', 'min', 'max', 'avg', 'count', 'rate', 'irate', 'increase', 'by', 'without', 'histogram_quantile', 'label_values', 'on', 'ignoring', 'and', 'or', 'unless', 'offset', 'topk', 'bottomk']);

/** Metric names an expression queries: identifiers outside label matchers, ranges and by (...) clauses. */
function metricNames(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ').replace(/\b(by|without)\s*\([^)]*\)/g, ' ').replace(/"[^"]*"/g, ' ');
  return [...bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL.has(w) && !w.startsWith('$'));
}

describe('metrics, dashboard and readiness', () => {
  test('/readyz is 503 with the reason until a complete directory is loaded, /healthz stays liveness; metric names follow Prometheus conventions; every dashboard query names an exported metric', async () => {
    const provider = gatedProvider({ mailboxes: [{ address: 'alice@example.com' }] });
    const service = createService(testConfig({ http: { listen: '127.0.0.1:0' } }), { logger: captureLogger().logger, provider });
    await service.start();
    const ep = service.http.address!;
    const base = `http://127.0.0.1:${ep.kind === 'tcp' ? ep.port : 0}`;
    try {
      const notReady = await fetch(`${base}/readyz`);
      assert.equal(notReady.status, 503);
      assert.equal(await notReady.text(), 'directory not loaded yet\n');
      provider.open();
      await service.sync.syncNow();
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);

      const text = await (await fetch(`${base}/metrics`)).text();
      const exported = new Set<string>();
      for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(m[1]!);
        if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(`${m[1]}${s}`);
        if (m[2] === 'summary') for (const s of ['_sum', '_count']) exported.add(`${m[1]}${s}`);
      }
      assert.ok(exported.has('process_cpu_seconds_total'), 'standard process metrics');
      assert.ok(exported.has('nodejs_eventloop_lag_p99_seconds'), 'standard nodejs metrics');
      assert.ok(![...exported].some((n) => n.startsWith('mailroster_process_')), 'no doubled prefix');
      for (const name of exported) {
        const type = new RegExp(`^# TYPE ${name} counter$`, 'm').test(text);
        if (type) assert.match(name, /_total$/, `counter ${name} ends in _total`);
      }
      for (const name of ['mailroster_scim_requests_total', 'mailroster_scim_changes_total', 'mailroster_sync_changes_applied_total']) assert.ok(exported.has(name), name);

      const dashboard = JSON.parse(grafanaDashboard()) as { panels: { title: string; targets: { expr: string }[] }[] };
      assert.ok(dashboard.panels.length >= 10);
      for (const panel of dashboard.panels) {
        assert.ok(panel.targets.length > 0, `${panel.title} has a query`);
        for (const t of panel.targets) {
          const names = metricNames(t.expr);
          assert.ok(names.length > 0, `${panel.title}: ${t.expr} names a metric`);
          for (const n of names) assert.ok(exported.has(n), `${panel.title}: ${n} is exported by /metrics`);
        }
      }
    } finally {
      await service.stop();
    }
  });

  test('/readyz reports a listener that is not bound, even with a directory loaded', async () => {
    const service = createService(testConfig({ http: { listen: '127.0.0.1:0' } }), { logger: captureLogger().logger, provider: gatedProvider({ mailboxes: [] }) });
    // The directory is loaded, the HTTP endpoint is up, the socketmap listener was never started.
    await service.store.replace(Directory.build({ mailboxes: [{ address: 'alice@example.com' }] }, { strict: true, source: 'test' }));
    await service.http.start({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    const ep = service.http.address!;
    const base = `http://127.0.0.1:${ep.kind === 'tcp' ? ep.port : 0}`;
    try {
      const r = await fetch(`${base}/readyz`);
      assert.equal(r.status, 503);
      assert.equal(await r.text(), 'socketmap listener not bound\n');
      assert.equal((await fetch(`${base}/healthz`)).status, 200, 'liveness does not depend on listeners');
    } finally {
      await service.http.close();
    }
  });
});
