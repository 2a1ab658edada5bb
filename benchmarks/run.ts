// `npm run bench [-- --quick] [NAME...]`: runs every benchmarks/*.bench.js (or those whose file
// name contains a NAME), prints one table, and writes it as Markdown and JSON, with an SVG chart
// of latency percentiles, under benchmarks/results/. Absolute numbers vary with the machine's
// load; each benchmark also reports a ratio against a baseline from the same run.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchResult } from './bench-api.js';
import { latencyChart } from './results-chart.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(here).filter((f) => f.endsWith('.bench.js') && (filter.length === 0 || filter.some((s) => f.includes(s)))).sort();
const rows: BenchResult[] = [];
const started = Date.now();
for (const file of files) {
  const bench = (await import(join(here, file))).default as Benchmark;
  process.stderr.write(`running ${file}${quick ? ' (quick)' : ''}...\n`);
  const t = Date.now();
  rows.push(...(await bench({ quick })));
  process.stderr.write(`  ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
}

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3));
for (const r of rows) {
  const ratio = r.ratio ? `  (${fmt(r.ratio.value)}x ${r.ratio.against})` : '';
  console.log(`${r.name.padEnd(70)} ${fmt(r.value).padStart(12)} ${r.unit}${ratio}`);
}

const meta = {
  date: new Date(started).toISOString(), quick, seconds: (Date.now() - started) / 1000,
  node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? '', benches: files,
};
const results = join(here, '..', '..', 'benchmarks', 'results');
mkdirSync(results, { recursive: true });
// Only a full run of every bench is `latest` (what README shows); a filtered run is `partial`.
const stem = quick ? 'quick' : filter.length > 0 ? 'partial' : 'latest';
writeFileSync(join(results, `${stem}.json`), `${JSON.stringify({ meta, rows }, null, 1)}\n`);
const lat = (l: BenchResult['latency']): string => (l ? `${fmt(l.p50)} / ${fmt(l.p99)} / ${fmt(l.p999)}` : '');
const md = [
  `Run ${meta.date} (${quick ? 'quick' : 'full'}, ${meta.seconds.toFixed(0)} s), node ${meta.node}, ${meta.cpus} cores (${meta.cpu}).`,
  '',
  '| measurement | value | ratio | against | p50 / p99 / p99.9 µs | floor p50 / p99 / p99.9 µs |',
  '|---|---:|---:|---|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.ratio ? `${fmt(r.ratio.value)}x` : ''} | ${r.ratio?.against ?? ''} | ${lat(r.latency)} | ${lat(r.floorLatency)} |`),
  '',
].join('\n');
writeFileSync(join(results, `${stem}.md`), md);
writeFileSync(join(results, `${stem}-latency.svg`), latencyChart(rows, meta.date));
process.stderr.write(`wrote benchmarks/results/${stem}.{md,json} and ${stem}-latency.svg\n`);
