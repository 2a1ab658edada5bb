import { request } from 'undici';
import { Directory } from '../src/directory/directory.js';
import { AUTHENTIK_MAX_PAGE } from '../src/providers/authentik-api.js';
import { AuthentikProvider } from '../src/providers/authentik-provider.js';
import { KeycloakProvider } from '../src/providers/keycloak-provider.js';
import type { DirectoryProvider } from '../src/providers/provider.js';
import { FakeAuthentik } from '../test/helpers/fake-authentik.js';
import { FakeKeycloak } from '../test/helpers/fake-keycloak.js';
import { populateAuthentik, populateKeycloak } from '../test/helpers/idp-population.js';
import { testIdpOptions } from '../test/helpers/provider-service.js';
import type { Benchmark, BenchResult } from './bench-api.js';

/** Users per fake provider (fewer with --quick). */
let USERS = 100_000;
const PAGE = 500;
const MiB = 1024 * 1024;

/** Wall time and memory growth of `run`; heap after a GC when node runs with --expose-gc. */
async function measure<T>(run: () => Promise<T>): Promise<{ seconds: number; heapMiB: number; rssMiB: number; result: T }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const start = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // Memory held by the result (the directory), not transient garbage: measured while it is alive.
  gc?.();
  const after = process.memoryUsage();
  return { seconds, heapMiB: (after.heapUsed - before.heapUsed) / MiB, rssMiB: (after.rss - before.rss) / MiB, result };
}

/** The floor: GET the same pages and JSON.parse them, keeping nothing. */
async function downloadOnly(urls: string[], headers: Record<string, string>): Promise<number> {
  let items = 0;
  for (const url of urls) {
    const res = await request(url, { headers });
    const body = JSON.parse(await res.body.text()) as unknown;
    items += Array.isArray(body) ? body.length : ((body as { results: unknown[] }).results.length);
  }
  return items;
}

/** A full sync as the engine does it: provider fetch, then validation and indexes. */
async function fullSync(provider: DirectoryProvider): Promise<Directory> {
  const data = await provider.fetchDirectory(AbortSignal.timeout(300_000));
  return Directory.build(data, { strict: false, source: provider.name });
}

async function benchKind(name: string, provider: DirectoryProvider, urls: string[], headers: Record<string, string>): Promise<BenchResult[]> {
  await fullSync(provider); // warm up JIT and connections
  const base = await measure(() => downloadOnly(urls, headers));
  const fetch = await measure(() => provider.fetchDirectory(AbortSignal.timeout(300_000)));
  const sync = await measure(() => fullSync(provider));
  await provider.close?.();
  const against = `download+JSON.parse of the same ${urls.length} pages (${base.seconds.toFixed(2)} s)`;
  return [
    { name: `${name}: provider fetch of ${USERS / 1000}k users (no indexes)`, value: fetch.seconds, unit: 's', ratio: { value: fetch.seconds / base.seconds, against } },
    { name: `${name}: full sync of ${USERS / 1000}k users (fetch + build)`, value: sync.seconds, unit: 's', ratio: { value: sync.seconds / base.seconds, against } },
    { name: `${name}: full sync, users/s`, value: USERS / sync.seconds, unit: 'users/s' },
    { name: `${name}: heap held by the ${USERS / 1000}k directory`, value: sync.heapMiB, unit: 'MiB' },
    { name: `${name}: RSS growth during the sync`, value: sync.rssMiB, unit: 'MiB' },
  ];
}

/** 100k users from fake Authentik and Keycloak on loopback: time, memory, and ratio to the download floor. */
const bench: Benchmark = async ({ quick }) => {
  USERS = quick ? 5_000 : 100_000;
  const options = testIdpOptions({ provider: { pageSize: PAGE, http: { timeoutMs: 60_000, retries: 2 } } });
  const ak = await new FakeAuthentik().start();
  populateAuthentik(ak, USERS);
  // Authentik serves at most 100 per page (since 2025.12), so the floor downloads pages of 100 too.
  const akUrls = Array.from({ length: USERS / AUTHENTIK_MAX_PAGE }, (_, i) => `${ak.url}/api/v3/core/users/?include_groups=false&page=${i + 1}&page_size=${AUTHENTIK_MAX_PAGE}`);
  const results = await benchKind('authentik', new AuthentikProvider({ ...options, url: ak.url, token: ak.token }), akUrls, { authorization: `Bearer ${ak.token}` });
  await ak.stop();

  const kc = await new FakeKeycloak().start();
  populateKeycloak(kc, USERS);
  const kcProvider = new KeycloakProvider({ ...options, url: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: kc.clientSecret });
  await fullSync(kcProvider);
  const token = kc.requests.find((r) => r.authorization)!.authorization!;
  const kcUrls = Array.from({ length: USERS / PAGE }, (_, i) => `${kc.url}/admin/realms/${kc.realm}/users?briefRepresentation=false&first=${i * PAGE}&max=${PAGE}`);
  results.push(...(await benchKind('keycloak', kcProvider, kcUrls, { authorization: token })));
  await kc.stop();
  return results;
};

export default bench;
