/** One measured quantity. Absolute times are noisy on shared machines: report ratios too. */
export interface BenchResult {
  /** What was measured, e.g. `socketmap lookup, hit`. */
  readonly name: string;
  readonly value: number;
  /** Unit of `value`, e.g. `ops/s`, `µs/op`, `MiB`, `s`. */
  readonly unit: string;
  /** Ratio against a baseline measured in the same run, with what the baseline is. */
  readonly ratio?: { readonly value: number; readonly against: string };
}

/** Every `benchmarks/*.bench.ts` default-exports one of these; `npm run bench` runs them all. */
export type Benchmark = () => Promise<BenchResult[]>;
