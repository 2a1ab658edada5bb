/** When the next full sync is due after a good one: the interval, spread by +/- `jitter`. */
export function nextSyncDelayMs(intervalSeconds: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(intervalSeconds * 1000 * (1 + jitter * (random() * 2 - 1))));
}

/**
 * The retry delay after `failures` failed syncs in a row (1, 2, 3...): doubling from
 * `initialSeconds` up to `maxSeconds`, with up to 20% random spread so that many servers whose
 * provider failed together do not retry in lockstep.
 */
export function backoffDelayMs(failures: number, initialSeconds: number, maxSeconds: number, random: () => number = Math.random): number {
  const base = Math.min(initialSeconds * 2 ** Math.max(0, failures - 1), Math.max(initialSeconds, maxSeconds));
  return base * 1000 * (1 - 0.2 * random());
}
