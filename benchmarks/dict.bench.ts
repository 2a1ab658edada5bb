import { connect, createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DictLineDecoder } from '../protocol/dict-lines.js';
import { loadConfig } from '../src/config/config.js';
import { Directory } from '../src/directory/directory.js';
import { DEFAULT_ADDRESS_RULES } from '../src/directory/resolve.js';
import { createService } from '../src/index.js';
import { DictLookup } from '../src/lookup/dict-lookup.js';
import { ResolverCache } from '../src/lookup/resolver-cache.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { syntheticDirectory } from './synthetic-directory.js';

let MAILBOXES = 100_000;
const CONNECTIONS = 8; // auth-worker processes, each one request at a time
let LOOKUPS_PER_CONNECTION = 5000;
const CONNECT_LOOPS = 4;
let CONNECTS_PER_LOOP = 1000;
const HELLO = 'H3\t2\t0\t\tmailroster\n';
const VALUE = 'O{"uid":"5000","gid":"5000","home":"/var/mail/d0.example/user0","quota_rule":"*:storage=1G"}\n';

/** Reads reply lines from a socket; `onLine` returns false to stop. */
function onLines(socket: ReturnType<typeof connect>, onLine: (line: string) => boolean | void): void {
  const decoder = new DictLineDecoder(1 << 24);
  socket.on('data', (chunk: Buffer) => {
    decoder.push(chunk);
    for (let l = decoder.nextLine(); l !== undefined; l = decoder.nextLine()) if (onLine(l) === false) return;
  });
}

/** Kept connections (Dovecot `idle_msecs`), one lookup in flight on each: lookups per second. */
async function keptRate(path: string, keys: string[]): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, c) => new Promise<void>((resolve, reject) => {
    const socket = connect(path);
    let sent = 0;
    const send = (): void => void socket.write(`Lshared/userdb/${keys[(c * 7919 + sent++) % keys.length]}\t\n`);
    socket.on('connect', () => (socket.write(HELLO), send()));
    socket.on('error', reject);
    onLines(socket, () => {
      if (sent < LOOKUPS_PER_CONNECTION) return void send();
      socket.destroy();
      resolve();
      return false;
    });
  })));
  return (CONNECTIONS * LOOKUPS_PER_CONNECTION) / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Dovecot's default: connect, HELLO + one lookup in one write, read the reply, close. */
async function connectPerLookupRate(path: string, keys: string[]): Promise<number> {
  const one = (key: string): Promise<void> => new Promise((resolve, reject) => {
    const socket = connect(path, () => socket.write(`${HELLO}Lshared/userdb/${key}\t${key}\n`));
    socket.on('error', reject);
    onLines(socket, () => (socket.destroy(), resolve(), false));
  });
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONNECT_LOOPS }, async (_, c) => {
    for (let i = 0; i < CONNECTS_PER_LOOP; i++) await one(keys[(c * 7919 + i) % keys.length]!);
  }));
  return (CONNECT_LOOPS * CONNECTS_PER_LOOP) / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** One full iteration (`doveadm user '*'`): seconds until the terminator arrived, and rows. */
async function iterate(path: string): Promise<{ seconds: number; rows: number }> {
  const start = process.hrtime.bigint();
  const rows = await new Promise<number>((resolve, reject) => {
    const socket = connect(path, () => socket.write(`${HELLO}I0\t0\tshared/userdb/\t*\n`));
    let n = 0;
    socket.on('error', reject);
    onLines(socket, (l) => (l === '' ? (socket.destroy(), resolve(n), false) : void n++));
  });
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, rows };
}

/**
 * The floor: a server on a UNIX socket that splits lines with the same decoder and answers each
 * lookup with a constant, and each iteration with the same number of precomputed rows.
 */
async function constantServer(path: string, rowCount: number): Promise<Server> {
  const row = `Oshared/userdb/user0@d0.example\t${VALUE.slice(1, -1)}\n`;
  const batch = row.repeat(256);
  const server = createServer((s) => {
    const decoder = new DictLineDecoder();
    s.on('error', () => undefined);
    s.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      for (let l = decoder.nextLine(); l !== undefined; l = decoder.nextLine()) {
        if (l[0] === 'L') s.write(VALUE);
        else if (l[0] === 'I') streamConstant(s, batch, Math.ceil(rowCount / 256));
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return server;
}

function streamConstant(s: ReturnType<typeof connect>, batch: string, batches: number): void {
  while (batches > 0) {
    batches--;
    if (!s.write(batches === 0 ? `${batch}\n` : batch)) return void s.once('drain', () => streamConstant(s, batch, batches));
  }
}

function timeLoop(n: number, fn: (i: number) => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

const bench: Benchmark = async ({ quick }) => {
  if (quick) [MAILBOXES, LOOKUPS_PER_CONNECTION, CONNECTS_PER_LOOP] = [10_000, 1000, 200];
  const rows: BenchResult[] = [];
  const data = syntheticDirectory(MAILBOXES);
  const keys = data.mailboxes.map((m) => m.address);
  const dir = mkdtempSync(join(tmpdir(), 'mailroster-dict-bench-'));
  const config = loadConfig({ env: {}, overrides: { socketmap: { listen: [] }, dict: { listen: [join(dir, 'dict.sock')] }, log: { level: 'silent' } } }).config;

  const directory = Directory.build(data, { strict: true, source: 'bench' });
  const source = { current: () => directory, unavailableReason: () => '' };
  const lookup = new DictLookup(source, new ResolverCache(source, DEFAULT_ADDRESS_RULES), config.dict);
  const map = new Map(keys.map((k) => [k, k]));
  const N = quick ? 50_000 : 300_000;
  const baseline = timeLoop(N, (i) => map.get(keys[i % keys.length]!));
  const userdb = timeLoop(N, (i) => lookup.lookup(`shared/userdb/${keys[i % keys.length]}`));
  rows.push({ name: 'dict userdb lookup in process (JSON value)', value: userdb, unit: 'µs/op', ratio: { value: userdb / baseline, against: 'a bare Map.get' } });

  const floorPath = join(dir, 'floor.sock');
  const floor = await constantServer(floorPath, MAILBOXES);
  await keptRate(floorPath, keys);
  const floorKept = await keptRate(floorPath, keys);
  const floorConnect = await connectPerLookupRate(floorPath, keys);
  const floorIter = await iterate(floorPath);
  floor.close();

  const service = createService(config, { logger: pino({ level: 'silent' }), provider: { name: 'bench', strict: true, fetchDirectory: async () => data } });
  await service.start();
  await service.sync.syncNow();
  const path = join(dir, 'dict.sock');
  // Let the collector finish with the build's garbage first: measured right after a 100k build,
  // incremental marking alone cut the rate by two thirds, for socketmap as much as for dict.
  (globalThis as { gc?: () => void }).gc?.();
  await keptRate(path, keys);
  const kept = await keptRate(path, keys);
  const perConnect = await connectPerLookupRate(path, keys);
  const iter = await iterate(path);
  await service.stop();
  rmSync(dir, { recursive: true, force: true });

  const against = 'a constant-reply line server on a UNIX socket';
  rows.push({ name: `dict lookups, ${CONNECTIONS} kept connections (idle_msecs)`, value: kept, unit: 'req/s', ratio: { value: kept / floorKept, against } });
  rows.push({ name: 'dict lookups, connect + HELLO + L + close (default)', value: perConnect, unit: 'req/s', ratio: { value: perConnect / floorConnect, against } });
  rows.push({
    name: `dict iteration of ${iter.rows} mailboxes (doveadm user '*')`, value: iter.rows / iter.seconds, unit: 'rows/s',
    ratio: { value: floorIter.seconds / iter.seconds, against: `streaming ${floorIter.rows} precomputed rows` },
  });
  return rows;
};
export default bench;
