import type { Endpoint } from '../../src/config/formats.js';
import { socketmapClient, type SocketmapClient } from './socketmap-client.js';

/** What a poller saw between start and stop. */
export interface PollResult {
  /** Lookups answered. */
  readonly count: number;
  /** Replies that were not the expected one, with when they came (ms since start). */
  readonly wrong: readonly string[];
  /** Latency of each answered lookup in ms, in order. */
  readonly latencies: readonly number[];
}

/**
 * Asks `queries` ([map, key, expected reply]) over socketmap in a loop, the way Postfix keeps
 * asking during an outage; reconnects when the server closes a connection. `stop` ends it.
 */
export function pollLookups(ep: Endpoint, queries: readonly (readonly [string, string, string])[], pauseMs = 5): { stop: () => Promise<PollResult> } {
  let running = true;
  const wrong: string[] = [];
  const latencies: number[] = [];
  const t0 = Date.now();
  const loop = (async () => {
    let client: SocketmapClient | undefined;
    while (running) {
      for (const [map, key, expected] of queries) {
        try {
          client ??= await socketmapClient(ep);
          const start = performance.now();
          const reply = await client.query(map, key);
          if (reply === '<closed>') {
            client = undefined;
            continue;
          }
          latencies.push(performance.now() - start);
          if (reply !== expected) wrong.push(`${Date.now() - t0}ms ${map} ${key}: ${reply}`);
        } catch (err) {
          wrong.push(`${Date.now() - t0}ms connect failed: ${(err as Error).message}`);
          client = undefined;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    client?.close();
  })();
  return { stop: async () => ((running = false), await loop, { count: latencies.length, wrong, latencies }) };
}

/** The q-quantile (0..1) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}
