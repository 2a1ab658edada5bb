import convict from 'convict';
import { parseRedisUrl } from '../store/redis-url.js';

const toNumber = (v: unknown): unknown => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v);

/**
 * Formats only the store and sync keys use. Registered here, where they are used, so this schema
 * file stays self-contained (convict formats are global; config.ts imports this file first).
 */
const STORE_FORMATS = {
  'store-url': {
    validate(value: unknown): void {
      if (value === 'memory:') return;
      if (typeof value !== 'string') throw new Error('must be a string');
      try {
        parseRedisUrl(value);
      } catch (err) {
        // convict prefixes the key itself; the message never repeats the URL (it may hold a password).
        throw new Error((err as Error).message.replace(/^store\.url: /, ''));
      }
    },
  },
  'redis-key-prefix': {
    validate(value: unknown): void {
      if (typeof value !== 'string' || !/^[^{}\s]+$/.test(value)) throw new Error('must be a non-empty string without braces or spaces');
    },
  },
  'unit-interval': {
    validate(value: unknown): void {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error('must be a number from 0 to 1');
    },
    coerce: toNumber,
  },
  percent: {
    validate(value: unknown): void {
      if (typeof value !== 'number' || !(value >= 0 && value <= 100)) throw new Error('must be a number from 0 to 100');
    },
    coerce: toNumber,
  },
  'positive-int': {
    validate(value: unknown): void {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new Error('must be a whole number of at least 1');
    },
    coerce: toNumber,
  },
  'positive-number': {
    validate(value: unknown): void {
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new Error('must be a number above 0');
    },
    coerce: toNumber,
  },
};
convict.addFormats(STORE_FORMATS);

/** convict schema for the directory store and the sync engine. */
export const storeSchema = {
  store: {
    url: {
      doc: 'Where the directory is kept: "memory:" (one process), redis://[user:password@]host:port[/db], rediss:// (TLS), redis+sentinel://h1:p1,h2:p2/master, redis+cluster://h1:p1,h2:p2',
      format: 'store-url',
      default: 'memory:',
      env: 'MAILROSTER_STORE_URL',
      sensitive: true,
    },
    passwordFile: {
      doc: 'File holding the Redis password (wins over a password in store.url); the user name may stay in the URL',
      format: String, default: '', env: 'MAILROSTER_STORE_PASSWORD_FILE',
    },
    tlsCaFile: {
      doc: 'PEM file of the CA that signs the Redis server certificate (rediss:); empty uses the system CAs',
      format: String, default: '', env: 'MAILROSTER_STORE_TLS_CA_FILE',
    },
    keyPrefix: {
      doc: 'Prefix of every Redis key; used as the cluster hash tag ({prefix}:meta ...), so it must not contain braces',
      format: 'redis-key-prefix', default: 'mailroster', env: 'MAILROSTER_STORE_KEY_PREFIX',
    },
    maxStalenessSeconds: {
      doc: 'Answer TEMP once the replica has not been confirmed against Redis for this long; 0 serves the last good directory forever',
      format: 'nat', default: 0, env: 'MAILROSTER_STORE_MAX_STALENESS_SECONDS',
    },
    pollIntervalMs: {
      // Pub/sub delivers a change at once; this poll only bounds the delay when a message is lost.
      doc: 'How often the replica checks the generation in Redis (fallback for lost pub/sub messages) (ms)',
      format: 'positive-int', default: 500, env: 'MAILROSTER_STORE_POLL_INTERVAL_MS',
    },
    commandTimeoutMs: {
      doc: 'Give up on one Redis command after this long; the replica keeps serving meanwhile (ms)',
      format: 'nat', default: 5000, env: 'MAILROSTER_STORE_COMMAND_TIMEOUT_MS',
    },
    connectTimeoutMs: {
      doc: 'How long one Redis connection attempt may take; start-up waits at most this long before answering TEMP (ms)',
      format: 'nat', default: 3000, env: 'MAILROSTER_STORE_CONNECT_TIMEOUT_MS',
    },
    logLength: {
      doc: 'Writes kept in the Redis change log, replayed by a server that fell behind; older gaps reload the whole directory',
      format: 'nat', default: 1000, env: 'MAILROSTER_STORE_LOG_LENGTH',
    },
  },
  sync: {
    intervalSeconds: {
      doc: 'Seconds between full syncs from the provider (a file provider also reloads on change); 0 disables the timer',
      format: 'nat',
      default: 300,
      env: 'MAILROSTER_SYNC_INTERVAL_SECONDS',
    },
    jitter: {
      // Spreads the provider load when many sites restart together.
      doc: 'Random share added to or taken from each interval (0.1 = +/-10%)',
      format: 'unit-interval', default: 0.1, env: 'MAILROSTER_SYNC_JITTER',
    },
    retryInitialSeconds: {
      doc: 'First retry delay after a failed sync; doubles after each failure up to sync.retryMaxSeconds',
      format: 'positive-number', default: 1, env: 'MAILROSTER_SYNC_RETRY_INITIAL_SECONDS',
    },
    retryMaxSeconds: {
      doc: 'Longest retry delay after failed syncs',
      format: 'nat', default: 300, env: 'MAILROSTER_SYNC_RETRY_MAX_SECONDS',
    },
    maxDeletePercent: {
      doc: 'Refuse a sync that removes more than this share of the mailboxes (logged and counted; `mailroster sync --once --force` applies it)',
      format: 'percent', default: 10, env: 'MAILROSTER_SYNC_MAX_DELETE_PERCENT',
    },
    deleteGuardFloor: {
      // Without a floor, removing one user from a three-user file would be "33%" and refused.
      doc: 'Removing at most this many mailboxes is never refused by sync.maxDeletePercent',
      format: 'nat', default: 1, env: 'MAILROSTER_SYNC_DELETE_GUARD_FLOOR',
    },
    lockTtlSeconds: {
      doc: 'Lifetime of the sync leader lock in Redis; renewed every quarter of it, so a dead leader is replaced within about this long',
      format: 'positive-int', default: 15, env: 'MAILROSTER_SYNC_LOCK_TTL_SECONDS',
    },
    changesIntervalSeconds: {
      doc: 'Seconds between polls of the provider change feed (providers that have one); 0 disables',
      format: 'nat', default: 30, env: 'MAILROSTER_SYNC_CHANGES_INTERVAL_SECONDS',
    },
  },
};
