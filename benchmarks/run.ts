// `npm run bench`: runs every benchmarks/*.bench.js and prints one table. Absolute numbers vary
// with the machine's load; each benchmark also reports a ratio against a baseline from the same run.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchResult } from './bench-api.js';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(here).filter((f) => f.endsWith('.bench.js') && (filter.length === 0 || filter.some((s) => f.includes(s)))).sort();
const rows: BenchResult[] = [];
for (const file of files) {
  const bench = (await import(join(here, file))).default as Benchmark;
  process.stderr.write(`running ${file}...\n`);
  rows.push(...(await bench()));
}
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3));
for (const r of rows) {
  const ratio = r.ratio ? `  (${fmt(r.ratio.value)}x ${r.ratio.against})` : '';
  console.log(`${r.name.padEnd(58)} ${fmt(r.value).padStart(12)} ${r.unit}${ratio}`);
}
