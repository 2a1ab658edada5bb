import { hostname } from 'node:os';
import type { AppConfig } from '../config/config.js';
import type { LockNames } from '../store/redis-lock.js';

/**
 * What a worker of `workers` > 1 does:
 * - `serve`: binds the listeners and answers; follows Redis, never takes the sync lock;
 * - `sync`: binds nothing; the only one that takes the sync lock and talks to the provider.
 * Keeping the provider's reads, the full build and their garbage collections in a process of
 * their own keeps them off every lookup (a full sync of a million mailboxes pauses its process
 * for hundreds of milliseconds). A pushed directory (SCIM) has nothing to pull: there every
 * worker serves and any of them may lead, as separate servers do (`both`).
 */
export type WorkerRole = 'serve' | 'sync' | 'both';

/** The environment variable the primary sets on each worker it forks. */
export const ROLE_ENV = 'MAILROSTER_CLUSTER_ROLE';
/** A random name of the primary's cluster, so its workers' lock tokens are unlike any other host's. */
export const CLUSTER_ENV = 'MAILROSTER_CLUSTER_ID';
/** Set on a sync worker that replaces a dead one: the dead one's pid, whose lock it takes at once. */
export const HEIR_ENV = 'MAILROSTER_CLUSTER_HEIR_OF';

/** The roles a primary forks for `config`: its `workers` serving ones, and one sync worker if the provider is pulled. */
export function workerRoles(config: AppConfig): WorkerRole[] {
  if (config.provider.type === 'scim') return Array.from({ length: config.workers }, () => 'both');
  return [...Array.from({ length: config.workers }, () => 'serve' as const), 'sync'];
}

/**
 * This worker's role and lock names, as its primary set them. A token is `host:cluster:pid:`
 * and a random part: host and pid alone repeat across hosts (containers share hostnames and
 * number their processes from 1), and an heir must never take a live lock of another host.
 */
export function roleFromEnv(env: NodeJS.ProcessEnv): { role: WorkerRole; lock: LockNames } {
  const role = env[ROLE_ENV];
  const cluster = env[CLUSTER_ENV];
  const prefix = (pid: number | string): string => `${hostname()}:${cluster}:${pid}:`;
  const heir = env[HEIR_ENV];
  const lock = cluster ? { tokenPrefix: prefix(process.pid), ...(heir && { heirOf: prefix(heir) }) } : {};
  return { role: role === 'serve' || role === 'sync' ? role : 'both', lock };
}

/** The configuration a worker runs: a sync worker binds no listener (the serving workers do). */
export function configForRole(config: AppConfig, role: WorkerRole): AppConfig {
  if (role !== 'sync') return config;
  return {
    ...config,
    socketmap: { ...config.socketmap, listen: [] },
    dict: { ...config.dict, listen: [] },
    auth: { ...config.auth, listen: '' },
    http: { ...config.http, listen: '' },
  };
}
