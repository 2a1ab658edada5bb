/** Latency percentiles of one closed-loop scenario, in microseconds. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

/** One measured quantity. Absolute times are noisy on shared machines: report ratios too. */
export interface BenchResult {
  /** What was measured, e.g. `socketmap lookup, hit`. */
  readonly name: string;
  readonly value: number;
  /** Unit of `value`, e.g. `ops/s`, `µs/op`, `MiB`, `s`. */
  readonly unit: string;
  /** Ratio against a baseline measured in the same run, with what the baseline is. */
  readonly ratio?: { readonly value: number; readonly against: string };
  /** Closed-loop scenarios: latency percentiles, and the same for the floor when one was run. */
  readonly latency?: Latency;
  readonly floorLatency?: Latency;
}

/** How a benchmark should run. */
export interface BenchOptions {
  /** `npm run bench -- --quick`: small directories and short windows (the whole run under a minute). */
  readonly quick: boolean;
}

/** Every `benchmarks/*.bench.ts` default-exports one of these; `npm run bench` runs them all. */
export type Benchmark = (options: BenchOptions) => Promise<BenchResult[]>;

/** The middle value of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const v = [...values].sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}
