import { ConfigError } from '../errors.js';

/** Where and how to reach Redis, parsed from `store.url`. */
export interface RedisTarget {
  readonly mode: 'standalone' | 'sentinel' | 'cluster';
  readonly tls: boolean;
  readonly hosts: readonly { host: string; port: number }[];
  /** Sentinel master name. */
  readonly masterName?: string;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
}

const SCHEMES: Record<string, { mode: RedisTarget['mode']; tls: boolean }> = {
  redis: { mode: 'standalone', tls: false },
  rediss: { mode: 'standalone', tls: true },
  'redis+sentinel': { mode: 'sentinel', tls: false },
  'rediss+sentinel': { mode: 'sentinel', tls: true },
  'redis+cluster': { mode: 'cluster', tls: false },
  'rediss+cluster': { mode: 'cluster', tls: true },
};

const URL_RE = /^([a-z+]+):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(?:\/([^?#]*))?$/i;

/**
 * Parses `redis://[user:password@]host:port[/db]`, `rediss://...` (TLS),
 * `redis+sentinel://[user:password@]h1:p1,h2:p2/master[/db]` and `redis+cluster://h1:p1,h2:p2`.
 * Error messages never repeat the URL: it may hold a password.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m = URL_RE.exec(url);
  const scheme = m ? SCHEMES[m[1]!.toLowerCase()] : undefined;
  if (!m || !scheme) throw new ConfigError(`store.url: expected memory:, ${Object.keys(SCHEMES).map((s) => `${s}://`).join(', ')}`);
  const hosts = m[4]!.split(',').map(parseHostPort);
  const path = (m[5] ?? '').split('/').filter(Boolean);
  const masterName = scheme.mode === 'sentinel' ? path.shift() : undefined;
  if (scheme.mode === 'sentinel' && !masterName) throw new ConfigError('store.url: a Sentinel URL names the master: redis+sentinel://host:26379/mymaster');
  const db = path.length > 0 ? Number(path[0]) : 0;
  if (!Number.isInteger(db) || db < 0 || path.length > 1 || (scheme.mode === 'cluster' && db !== 0)) {
    throw new ConfigError('store.url: the path must be a database number (none for a cluster)');
  }
  const username = m[2] ? decodeURIComponent(m[2]) : undefined;
  const password = m[3] !== undefined ? decodeURIComponent(m[3]) : undefined;
  return { ...scheme, hosts, db, ...(masterName && { masterName }), ...(username && { username }), ...(password !== undefined && { password }) };
}

function parseHostPort(raw: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(raw);
  const port = Number(m?.[3] ?? 6379);
  if (!m || port > 65535) throw new ConfigError('store.url: each host must be host or host:port');
  return { host: (m[1] ?? m[2])!, port };
}
