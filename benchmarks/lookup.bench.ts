import { createServer, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { encodeNetstring, NetstringDecoder } from '../protocol/netstring.js';
import { loadConfig } from '../src/config/config.js';
import { Directory } from '../src/directory/directory.js';
import { DEFAULT_ADDRESS_RULES } from '../src/directory/resolve.js';
import { createService } from '../src/index.js';
import { lookupSocketmap } from '../src/lookup/socketmap-lookup.js';
import { ResolverCache } from '../src/lookup/resolver-cache.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { syntheticDirectory } from './synthetic-directory.js';

const CONNECTIONS = 8; // like several Postfix processes, each in lockstep
const REQUESTS_PER_CONNECTION = 5000;

/** Lockstep clients (one request in flight per connection, as Postfix does): requests per second. */
async function lockstepRate(port: number, keys: string[]): Promise<number> {
  const { connect } = await import('node:net');
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, c) => new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const decoder = new NetstringDecoder();
    let sent = 0;
    const send = (): void => void socket.write(encodeNetstring(`alias ${keys[(c * 7919 + sent++) % keys.length]}`));
    socket.on('connect', send);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      for (const _ of decoder.push(chunk)) {
        if (sent < REQUESTS_PER_CONNECTION) send();
        else return void (socket.destroy(), resolve());
      }
    });
  })));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (CONNECTIONS * REQUESTS_PER_CONNECTION) / seconds;
}

/** A server that answers every frame with a constant, doing no lookup: the socket floor. */
async function constantServer(): Promise<{ port: number; close: () => void }> {
  const reply = encodeNetstring('NOTFOUND ');
  const server = createServer((s) => {
    const d = new NetstringDecoder();
    s.on('data', (chunk) => { for (const _ of d.push(chunk)) s.write(reply); });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function timeLoop(n: number, fn: (i: number) => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n; // µs per op
}

const bench: Benchmark = async () => {
  const rows: BenchResult[] = [];
  const data = syntheticDirectory(100_000);
  const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const buildStart = process.hrtime.bigint();
  const dir = Directory.build(data, { strict: true, source: 'bench' });
  const buildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9;
  gc();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  rows.push({ name: 'directory build, 100k mailboxes + 100k aliases', value: buildSeconds, unit: 's' });
  rows.push({ name: 'directory heap, 100k mailboxes + 100k aliases', value: heapMiB, unit: 'MiB' });

  const cache = new ResolverCache({ current: () => dir, unavailableReason: () => '' }, DEFAULT_ADDRESS_RULES);
  const keys = data.mailboxes.map((m) => m.aliases![0]!);
  const misses = keys.map((k) => `x${k}`);
  const map = new Map(keys.map((k) => [k, k]));
  const N = 500_000;
  const baseline = timeLoop(N, (i) => map.get(keys[i % keys.length]!));
  const hit = timeLoop(N, (i) => lookupSocketmap(cache, 'alias', keys[i % keys.length]!));
  const miss = timeLoop(N, (i) => lookupSocketmap(cache, 'alias', misses[i % misses.length]!));
  const ext = timeLoop(N, (i) => lookupSocketmap(cache, 'mailbox', data.mailboxes[i % keys.length]!.address.replace('@', '+tag@')));
  rows.push({ name: 'alias lookup in process, hit', value: hit, unit: 'µs/op', ratio: { value: hit / baseline, against: 'a bare Map.get' } });
  rows.push({ name: 'alias lookup in process, miss (catch-all checked)', value: miss, unit: 'µs/op', ratio: { value: miss / baseline, against: 'a bare Map.get' } });
  rows.push({ name: 'mailbox lookup in process, user+tag@', value: ext, unit: 'µs/op', ratio: { value: ext / baseline, against: 'a bare Map.get' } });

  const floor = await constantServer();
  const floorRate = await lockstepRate(floor.port, keys);
  floor.close();
  const service = createService(loadConfig({ env: {}, overrides: { socketmap: { listen: ['127.0.0.1:0'] }, log: { level: 'silent' } } }).config, {
    logger: pino({ level: 'silent' }),
    provider: { name: 'bench', strict: true, fetchDirectory: async () => data },
  });
  await service.start();
  await service.sync.syncNow();
  const ep = service.socketmap.addresses[0]!;
  const rate = await lockstepRate(ep.kind === 'tcp' ? ep.port : 0, keys);
  await service.stop();
  rows.push({ name: `socketmap over TCP, ${CONNECTIONS} lockstep connections`, value: rate, unit: 'req/s', ratio: { value: rate / floorRate, against: 'a server answering a constant' } });
  return rows;
};
export default bench;
