import { createServer } from 'node:http';
import { startRedis } from '../test/helpers/redis-server.js';
import { startScimNode, type ScimNode } from '../test/helpers/scim-service.js';
import { fastStoreConfig } from '../test/store/redis-fixtures.js';
import type { Benchmark, BenchResult } from './bench-api.js';

const CREATES = 500;
const PUSHES = 20;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const user = (name: string) => ({ schemas: [USER], userName: `${name}@example.com`, name: { givenName: name }, emails: [{ value: `${name}.alias@example.com` }] });

/** POSTs `n` users one after another; returns seconds taken. */
async function postUsers(url: string, n: number, prefix: string, token: string): Promise<number> {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(user(`${prefix}${i}`)) });
    if (r.status !== 201) throw new Error(`create answered ${r.status}: ${await r.text()}`);
    await r.arrayBuffer().catch(() => undefined);
  }
  return seconds(t);
}

/**
 * SCIM creates per second (each one a validated whole-directory write) against a bare node:http
 * server that reads the same body and answers 201, both over loopback in this run; and how long a
 * user created on one server takes to be answered by a Redis follower's socketmap lookups.
 */
const bench: Benchmark = async () => {
  const rows: BenchResult[] = [];
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201, { 'content-type': 'application/scim+json' }).end('{"id":"x"}'));
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const port = (bare.address() as { port: number }).port;
  const memory = await startScimNode({ sync: { deleteGuardFloor: 1_000_000 } });
  try {
    const bareS = await postUsers(`http://127.0.0.1:${port}/scim/v2/Users`, CREATES, 'bare', 'x');
    const scimS = await postUsers(`${memory.scim.base}/Users`, CREATES, 'mem', 'test-scim-token-0123456789');
    rows.push({ name: `SCIM creates, memory store (${CREATES} users, sequential)`, value: CREATES / scimS, unit: 'ops/s', ratio: { value: bareS / scimS, against: 'a bare HTTP server answering 201' } });
    rows.push({ name: 'bare HTTP POST round trip on loopback (baseline)', value: CREATES / bareS, unit: 'ops/s' });
    const bareRoundTripMs = (bareS / CREATES) * 1000;

    const redis = await startRedis();
    let leader: ScimNode | undefined;
    let follower: ScimNode | undefined;
    try {
      const cfg = () => fastStoreConfig(redis.url, { sync: { deleteGuardFloor: 1_000_000 } });
      leader = await startScimNode(cfg());
      follower = await startScimNode(cfg());
      const redisS = await postUsers(`${leader.scim.base}/Users`, CREATES, 'red', 'test-scim-token-0123456789');
      rows.push({ name: `SCIM creates, Redis store with a follower (${CREATES} users)`, value: CREATES / redisS, unit: 'ops/s', ratio: { value: bareS / redisS, against: 'a bare HTTP server answering 201' } });
      let total = 0;
      let worst = 0;
      for (let i = 0; i < PUSHES; i++) {
        const t = process.hrtime.bigint();
        await postUsers(`${leader.scim.base}/Users`, 1, `push${i}-`, 'test-scim-token-0123456789');
        while (follower.service.lookup('mailbox', `push${i}-0@example.com`).kind !== 'found') await new Promise((r) => setImmediate(r));
        const s = seconds(t);
        total += s;
        worst = Math.max(worst, s);
      }
      const meanMs = (total / PUSHES) * 1000;
      rows.push({ name: 'push to answer on a Redis follower (POST until its lookup finds the user), mean', value: meanMs, unit: 'ms', ratio: { value: meanMs / bareRoundTripMs, against: 'one bare HTTP POST round trip' } });
      rows.push({ name: 'push to answer on a Redis follower, worst of 20', value: worst * 1000, unit: 'ms', ratio: { value: worst, against: 'the 1 s bound' } });
    } finally {
      await follower?.stop();
      await leader?.stop();
      await redis.stop();
    }
  } finally {
    await memory.stop();
    bare.close();
  }
  return rows;
};

export default bench;
