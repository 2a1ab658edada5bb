import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** The next message from a forked child (follower-process.ts) that has `field`. */
export async function message(child: ChildProcess, field: string): Promise<Record<string, unknown>> {
  for (;;) {
    const [m] = (await once(child, 'message')) as [Record<string, unknown>];
    if (field in m) return m;
  }
}
