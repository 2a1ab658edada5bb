import { connect, createServer, type Socket } from 'node:net';

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A raw TCP or UNIX connection for clients that misbehave (never read, trickle, flood). */
export async function rawConnection(ep: { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string }): Promise<Socket> {
  const s = ep.kind === 'unix' ? connect(ep.path) : connect(ep.port, ep.host);
  s.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  return s;
}

/** Runs `fn` while `target[method]` throws `message` (a simulated bug), then restores it. */
export async function whileThrowing<T extends object>(target: T, method: keyof T & string, message: string, fn: () => Promise<void>): Promise<void> {
  const original = target[method];
  (target as Record<string, unknown>)[method] = () => {
    throw new Error(message);
  };
  try {
    await fn();
  } finally {
    (target as Record<string, unknown>)[method] = original;
  }
}
