/**
 * The longest gap between event-loop turns while `run` runs, and for `tailMs` after: how long a
 * lookup arriving at the worst moment would wait.
 */
export async function longestGap<T>(run: () => Promise<T>, tailMs = 0): Promise<{ gapMs: number; tailGapMs: number; ms: number; result: T }> {
  let gap = 0;
  let last = performance.now();
  let watching = true;
  const tick = (): void => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
    if (watching) setImmediate(tick);
  };
  setImmediate(tick);
  const start = performance.now();
  const result = await run();
  const ms = performance.now() - start;
  const during = gap;
  gap = 0;
  await new Promise((r) => setTimeout(r, tailMs));
  watching = false;
  return { gapMs: during, tailGapMs: gap, ms, result };
}
