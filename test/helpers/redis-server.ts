import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './net.js';
import { tempDir } from './temp.js';

const run = promisify(execFile);

/** A private `redis-server` on a free loopback port, no persistence, in its own temp dir. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** A plain client for assertions and setup; closed by `stop`. */
  client(): Redis;
  /** Kills the process (SIGKILL: no shutdown save). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (nothing is persisted). */
  restart(): Promise<void>;
  /** SIGSTOP: the port stays open, commands hang until {@link resume}. */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  stop(): Promise<void>;
}

/** PEM files for a TLS Redis: a private CA and a certificate for 127.0.0.1 signed by it. */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Makes a throwaway CA and a server certificate for IP 127.0.0.1 with openssl, in `dir`. */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const f = { ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key'), csr: join(dir, 'server.csr'), ext: join(dir, 'san.ext') };
  writeFileSync(f.ext, 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=mailroster test CA', '-keyout', f.caKey, '-out', f.ca]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f.key, '-out', f.csr]);
  await run('openssl', ['x509', '-req', '-in', f.csr, '-CA', f.ca, '-CAkey', f.caKey, '-CAcreateserial', '-days', '2', '-extfile', f.ext, '-out', f.cert]);
  return { ca: f.ca, cert: f.cert, key: f.key };
}

/**
 * Starts one redis-server; extra arguments are appended (e.g. `--requirepass x`). With `tls` it
 * listens for TLS only (`rediss://`), with client certificates not required.
 */
export async function startRedis(extraArgs: readonly string[] = [], options: { tls?: TlsFiles } = {}): Promise<RedisServer> {
  const dir = tempDir('mailroster-redis-');
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const clients: Redis[] = [];
  const password = extraArgs.includes('--requirepass') ? extraArgs[extraArgs.indexOf('--requirepass') + 1] : undefined;
  const { tls } = options;
  const tlsArgs = tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'] : [];
  const launch = async (): Promise<void> => {
    proc = spawnRedis(port, dir.path, [...tlsArgs, ...extraArgs]);
    await waitUntilPing(port, password, tls?.ca);
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => (p.once('exit', () => resolve()), p.kill('SIGKILL')));
  };
  await launch();
  return {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    client: () => {
      const c = new Redis({ port, host: '127.0.0.1', ...(password && { password }), ...(tls && { tls: { ca: readFileSync(tls.ca) } }), maxRetriesPerRequest: 1, lazyConnect: false });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    kill,
    restart: launch,
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
    stop: async () => {
      for (const c of clients) c.disconnect();
      proc?.kill('SIGCONT');
      await kill();
      dir.remove();
    },
  };
}

/** A Redis Cluster of three masters on loopback, slots split by `redis-cli --cluster create`. */
export interface RedisCluster {
  readonly ports: readonly number[];
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts three cluster-enabled nodes and joins them; resolves once the cluster state is ok. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = tempDir('mailroster-cluster-');
  const ports = [await freePort(), await freePort(), await freePort()];
  const procs = ports.map((port) =>
    spawnRedis(port, dir.path, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000']),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => (p.exitCode !== null ? undefined : new Promise<void>((r) => (p.once('exit', () => r()), p.kill('SIGKILL'))))));
    dir.remove();
  };
  try {
    for (const port of ports) await waitUntilPing(port);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await waitFor(async () => {
      const checks = await Promise.all(ports.map(async (port) => (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok')));
      return checks.every(Boolean);
    }, 30_000, 'cluster_state:ok on every node');
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, stop };
}

function spawnRedis(port: number, dir: string, extraArgs: readonly string[]): ChildProcess {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], { stdio: 'ignore' });
  proc.on('error', () => undefined);
  return proc;
}

async function waitUntilPing(port: number, password?: string, tlsCa?: string): Promise<void> {
  await waitFor(async () => {
    const args = ['-p', String(port), ...(tlsCa ? ['--tls', '--cacert', tlsCa] : []), ...(password ? ['-a', password, '--no-auth-warning'] : []), 'ping'];
    return (await run('redis-cli', args)).stdout.trim() === 'PONG';
  }, 15_000, `redis-server on port ${port}`);
}

/** A Redis Sentinel (redis-server --sentinel) watching `masterPort` as `mymaster`. */
export async function startRedisSentinel(masterPort: number): Promise<{ port: number; url: string; stop: () => Promise<void> }> {
  const dir = tempDir('mailroster-sentinel-');
  const port = await freePort();
  const conf = join(dir.path, 'sentinel.conf');
  // Sentinel rewrites its config file, so it gets a private, writable one.
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir.path}\nsentinel monitor mymaster 127.0.0.1 ${masterPort} 1\nsentinel down-after-milliseconds mymaster 2000\n`);
  const proc = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  proc.on('error', () => undefined);
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null) await new Promise<void>((r) => (proc.once('exit', () => r()), proc.kill('SIGKILL')));
    dir.remove();
  };
  try {
    await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'sentinel', 'get-master-addr-by-name', 'mymaster'])).stdout.includes(String(masterPort)), 15_000, 'sentinel to know the master');
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url: `redis+sentinel://127.0.0.1:${port}/mymaster`, stop };
}
