import type { BenchResult, Latency } from './bench-api.js';

const ROW = 34;
const LEFT = 330;
const WIDTH = 900;
const COLORS = { p50: '#2b6cb0', p99: '#dd6b20', p999: '#c53030' } as const;

/**
 * An SVG chart of the closed-loop scenarios: per scenario, p50, p99 and p99.9 of mailroster (thick
 * bars) over the floor's (thin bars) on a log-scale microsecond axis.
 */
export function latencyChart(rows: readonly BenchResult[], title: string): string {
  const scenarios = rows.filter((r) => r.latency);
  const all = scenarios.flatMap((r) => [r.latency!, r.floorLatency].filter((l): l is Latency => l !== undefined)).flatMap((l) => [l.p50, l.p999]);
  const lo = Math.max(1, Math.min(...all, 10) / 1.5);
  const hi = Math.max(...all, 100) * 1.5;
  const x = (us: number): number => LEFT + ((Math.log10(Math.max(us, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (WIDTH - LEFT - 20);
  const height = 60 + scenarios.length * ROW + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="13">socketmap latency percentiles (µs, log scale): mailroster thick, floor thin. ${escapeXml(title)}</text>`,
  ];
  for (const [i, key] of (['p50', 'p99', 'p999'] as const).entries()) {
    out.push(`<rect x="${LEFT + i * 90}" y="28" width="12" height="10" fill="${COLORS[key]}"/><text x="${LEFT + 16 + i * 90}" y="37">${key === 'p999' ? 'p99.9' : key}</text>`);
  }
  for (let d = Math.ceil(Math.log10(lo)); d <= Math.floor(Math.log10(hi)); d++) {
    const px = x(10 ** d);
    out.push(`<line x1="${px}" y1="45" x2="${px}" y2="${height - 25}" stroke="#ddd"/><text x="${px}" y="${height - 10}" text-anchor="middle">${10 ** d}</text>`);
  }
  scenarios.forEach((r, i) => {
    const y = 50 + i * ROW;
    out.push(`<text x="${LEFT - 6}" y="${y + 16}" text-anchor="end">${escapeXml(r.name.replace(/: throughput$/, ''))}</text>`);
    // Widest first, so the shorter percentiles stay visible on top.
    for (const key of ['p999', 'p99', 'p50'] as const) {
      out.push(`<rect x="${LEFT}" y="${y + 2}" width="${(x(r.latency![key]) - LEFT).toFixed(1)}" height="14" fill="${COLORS[key]}"><title>${key} ${r.latency![key].toFixed(1)} µs</title></rect>`);
      if (r.floorLatency) out.push(`<rect x="${LEFT}" y="${y + 19}" width="${(x(r.floorLatency[key]) - LEFT).toFixed(1)}" height="5" fill="${COLORS[key]}" opacity="0.6"><title>floor ${key} ${r.floorLatency[key].toFixed(1)} µs</title></rect>`);
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
