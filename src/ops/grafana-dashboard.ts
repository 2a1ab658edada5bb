import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Grafana dashboard shipped with the package (mailroster's own metrics plus process_* and nodejs_*). */
export const GRAFANA_DASHBOARD = fileURLToPath(new URL('../../../src/ops/grafana-dashboard.json', import.meta.url));

/** The dashboard JSON, for `mailroster grafana-dashboard > mailroster.json` and Grafana's import. */
export function grafanaDashboard(): string {
  return readFileSync(GRAFANA_DASHBOARD, 'utf8');
}
