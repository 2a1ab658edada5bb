import { createServer, request, Agent, type Server } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { formatAuthReply } from '../protocol/auth-reply.js';
import { loadConfig } from '../src/config/config.js';
import { createService } from '../src/index.js';
import { missingDovecot24, startDovecot24 } from '../test/helpers/dovecot24-instance.js';
import { freePort } from '../test/helpers/net.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { syntheticDirectory } from './synthetic-directory.js';

const MAILBOXES = 20_000;
const SECRET = 'bench-secret-0123456789';
/** Parallel requests: like Dovecot's auth-worker processes, each one request at a time. */
const PARALLEL = 8;
/** Requests per measurement: HTTP straight to the endpoint, and through Dovecot (fewer with --quick). */
let HTTP_REQUESTS = 3000;
let DOVECOT_REQUESTS = 400;
const USERDB_REPLY = formatAuthReply({ result: 'OK', fields: [['user', 'user0@d0.example'], ['uid', '5000'], ['gid', '5000'], ['home', '/var/mail/d0.example/user0'], ['quota_storage_size', '1G']] });

/**
 * The floor: an HTTP server on the same transport that answers every userdb request with a
 * constant, and every passdb request with the bench's password for the user number in the URL.
 */
async function constantServer(port = 0): Promise<Server> {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const n = /^\/v1\/passdb\/user(\d+)/.exec(req.url!)?.[1];
    const body = n === undefined ? USERDB_REPLY : `MAILROSTER/1 OK\nuser=user${n}@d0.example\npassword={PLAIN}pw${n}\n.\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return server;
}

/** `PARALLEL` loops of keep-alive GETs, as the Lua's client does them: requests per second. */
async function httpRate(port: number, path: (i: number) => string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
  const one = (p: string): Promise<void> => new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: p, agent, headers: { authorization: `Bearer ${SECRET}` } }, (res) => {
      res.on('data', () => undefined).on('end', resolve);
    }).on('error', reject).end();
  });
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: PARALLEL }, async (_, c) => {
    for (let i = c; i < HTTP_REQUESTS; i += PARALLEL) await one(path(i));
  }));
  agent.destroy();
  return HTTP_REQUESTS / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * One connection to a Dovecot auth socket, speaking its line protocol: `send` writes a request
 * with a fresh id and resolves with the reply line that carries that id.
 */
async function authConnection(path: string, hello: string): Promise<{ send: (line: (id: number) => string) => Promise<string>; close: () => void }> {
  const socket = connect(path);
  let buffer = '';
  const waiting = new Map<number, (line: string) => void>();
  socket.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const id = Number(line.split('\t')[1]);
      waiting.get(id)?.(line);
      waiting.delete(id);
    }
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(hello);
  let next = 1;
  return {
    send: (line) => new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      socket.write(line(id));
    }),
    close: () => socket.destroy(),
  };
}

/** PLAIN logins and userdb lookups through Dovecot's auth sockets, `PARALLEL` at a time: per second each. */
async function dovecotRates(runDir: string): Promise<{ passdb: number; userdb: number }> {
  const rate = async (socket: string, hello: string, line: (id: number, i: number) => string, ok: RegExp): Promise<number> => {
    const conns = await Promise.all(Array.from({ length: PARALLEL }, () => authConnection(socket, hello)));
    // Warm up: the auth-workers start and open their HTTP connections.
    await Promise.all(conns.map((c, k) => c.send((id) => line(id, k))));
    const start = process.hrtime.bigint();
    await Promise.all(conns.map(async (c, k) => {
      for (let i = k; i < DOVECOT_REQUESTS; i += PARALLEL) {
        const reply = await c.send((id) => line(id, i));
        if (!ok.test(reply)) throw new Error(`unexpected reply ${reply}`);
      }
    }));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    for (const c of conns) c.close();
    return DOVECOT_REQUESTS / seconds;
  };
  const plain = (i: number): string => Buffer.from(`\0user${i}@d${i % 10}.example\0pw${i}`).toString('base64');
  const passdb = await rate(join(runDir, 'auth-client'), `VERSION\t1\t2\nCPID\t${process.pid}\n`,
    (id, i) => `AUTH\t${id}\tPLAIN\tservice=imap\tresp=${plain(i)}\n`, /^OK\t/);
  const userdb = await rate(join(runDir, 'auth-userdb'), 'VERSION\t1\t0\n',
    (id, i) => `USER\t${id}\tuser${i}@d${i % 10}.example\tservice=lmtp\n`, /^USER\t/);
  return { passdb, userdb };
}

const bench: Benchmark = async ({ quick }) => {
  if (quick) [HTTP_REQUESTS, DOVECOT_REQUESTS] = [1000, 160];
  const rows: BenchResult[] = [];
  const synthetic = syntheticDirectory(MAILBOXES);
  const data = { ...synthetic, mailboxes: synthetic.mailboxes.map((m, i) => ({ ...m, passwordHash: `{PLAIN}pw${i}` })) };
  const name = (i: number): string => `user${i % MAILBOXES}@d${i % 10}.example`;
  const port = await freePort();
  const config = loadConfig({ env: {}, overrides: { socketmap: { listen: [] }, auth: { listen: `127.0.0.1:${port}`, secret: SECRET }, log: { level: 'silent' } } }).config;
  const startService = async (): Promise<ReturnType<typeof createService>> => {
    const service = createService(config, { logger: pino({ level: 'silent' }), provider: { name: 'bench', strict: true, fetchDirectory: async () => data } });
    await service.start();
    await service.sync.syncNow();
    (globalThis as { gc?: () => void }).gc?.();
    return service;
  };

  const floor = await constantServer();
  const floorPort = (floor.address() as { port: number }).port;
  await httpRate(floorPort, () => '/v1/passdb/x');
  const floorPassdb = await httpRate(floorPort, (i) => `/v1/passdb/${name(i)}`);
  const floorUserdb = await httpRate(floorPort, (i) => `/v1/userdb/${name(i)}`);
  await new Promise((r) => floor.close(r));

  let service = await startService();
  await httpRate(port, (i) => `/v1/passdb/${name(i)}`);
  const passdb = await httpRate(port, (i) => `/v1/passdb/${name(i)}`);
  const userdb = await httpRate(port, (i) => `/v1/userdb/${name(i)}`);
  await service.stop();
  const against = 'a constant-reply HTTP server, same keep-alive client';
  rows.push({ name: `auth endpoint passdb lookups, ${PARALLEL} keep-alive connections`, value: passdb, unit: 'req/s', ratio: { value: passdb / floorPassdb, against } });
  rows.push({ name: `auth endpoint userdb lookups, ${PARALLEL} keep-alive connections`, value: userdb, unit: 'req/s', ratio: { value: userdb / floorUserdb, against } });

  if (missingDovecot24() !== false || process.getuid?.() !== 0) return rows;
  // The same Dovecot 2.4 (auth cache off, the default) and Lua script, first against the
  // constant server on mailroster's port, then against mailroster.
  const secretDir = mkdtempSync(join(tmpdir(), 'mailroster-bench24-'));
  writeFileSync(join(secretDir, 'secret'), SECRET);
  const dv = await startDovecot24({ mailrosterEnv: { MAILROSTER_AUTH_LISTEN: `127.0.0.1:${port}`, MAILROSTER_AUTH_SECRET_FILE: join(secretDir, 'secret') }, extraConf: 'auth_cache_size = 0' });
  try {
    const constant = await constantServer(port);
    const viaConstant = await dovecotRates(join(dv.dir, 'run'));
    constant.closeAllConnections();
    await new Promise((r) => constant.close(r));
    service = await startService();
    const viaMailroster = await dovecotRates(join(dv.dir, 'run'));
    await service.stop();
    const through = 'the same Dovecot + Lua against a constant-reply HTTP server';
    rows.push({ name: `Dovecot 2.4 PLAIN logins (auth-client, ${PARALLEL} parallel, cache off)`, value: viaMailroster.passdb, unit: 'auth/s', ratio: { value: viaMailroster.passdb / viaConstant.passdb, against: through } });
    rows.push({ name: `Dovecot 2.4 userdb lookups (auth-userdb, ${PARALLEL} parallel, cache off)`, value: viaMailroster.userdb, unit: 'req/s', ratio: { value: viaMailroster.userdb / viaConstant.userdb, against: through } });
  } finally {
    await dv.stop();
    rmSync(secretDir, { recursive: true, force: true });
  }
  return rows;
};
export default bench;
