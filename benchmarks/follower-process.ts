// A follower in a process of its own, as in production (a second `mailroster serve`): the store
// bench forks it so that the event loop measured is the follower's alone, not shared with the
// leader's builds and their garbage. Messages: it sends `{ ready }` once warm; for each
// `{ watch: address }` it answers `{ watching: true }`, `{ served: true }` once it serves the
// address, then `{ stallMs, cpuMs }`; `{ idle: true }` probes the same window with no change
// coming, the floor this machine's other load sets.
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_ADDRESS_RULES } from '../src/directory/resolve.js';
import { lookupSocketmap } from '../src/lookup/socketmap-lookup.js';
import { ResolverCache } from '../src/lookup/resolver-cache.js';
import { redisStore } from '../test/store/redis-fixtures.js';

/** Turns watched after the change is served, so deferred work (a merge split over turns) is measured too. */
const TAIL_MS = 100;

const [url, keyPrefix] = process.argv.slice(2) as [string, string];
const follower = redisStore(url, { keyPrefix });
const cache = new ResolverCache(follower, DEFAULT_ADDRESS_RULES);
const send = (m: object): void => void process.send!(m);

/**
 * Looks the address up once per turn, as a stream of lookups would, until it is served and
 * TAIL_MS more: the longest gap between two turns is what a lookup arriving meanwhile waits. The
 * CPU time of the process in its longest turn tells its own work from the time another process
 * had the core (this machine has two).
 */
async function watch(address: string | undefined): Promise<void> {
  send({ watching: true });
  let stallMs = 0;
  let cpuMs = 0;
  let servedAt: bigint | undefined;
  let last = process.hrtime.bigint();
  let lastCpu = process.cpuUsage();
  for (;;) {
    await new Promise((r) => setImmediate(r));
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(lastCpu);
    stallMs = Math.max(stallMs, Number(now - last) / 1e6);
    cpuMs = Math.max(cpuMs, (cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
    if (servedAt === undefined && (address === undefined || lookupSocketmap(cache, 'mailbox', address).kind === 'found')) {
      servedAt = now;
      send({ served: true });
    }
    if (servedAt !== undefined && Number(now - servedAt) / 1e6 > TAIL_MS) break;
  }
  send({ stallMs, cpuMs });
}

await follower.start();
// The collection heap-release.ts runs a second after a full load belongs to the warm start, not to a change.
await sleep(1500);
global.gc?.();
send({ ready: follower.current()?.mailboxCount ?? 0 });
process.on('message', (m: { watch?: string; idle?: boolean; stop?: boolean }) => {
  if (m.watch || m.idle) void watch(m.watch);
  if (m.stop) void follower.close().then(() => process.exit(0));
});
