import { randomUUID } from 'node:crypto';
import type { DirectoryPatch } from '../directory/directory-changes.js';
import type { Directory } from '../directory/directory.js';
import { writeArgs } from './redis-codec.js';
import { scrubRedisError } from './redis-connection.js';
import { stagingKeys, type RedisKeys } from './redis-keys.js';
import { WRITE_SCRIPT, type RedisClient } from './redis-scripts.js';
import { dropStaging, stageDirectory } from './redis-staging.js';
import { StoreConflictError, StoreUnavailableError } from './store-errors.js';

/**
 * Entries per staging command of a full write (about 250 KB of synthetic mailboxes). A directory
 * of at most this many entries goes in one script, as patches do.
 */
export const DEFAULT_FULL_WRITE_BATCH = 2000;
/** Least lifetime of a staging hash; each staging command sets it again. */
const MIN_STAGING_TTL_MS = 60_000;

/** Where a {@link RedisWriter} writes, and how. */
export interface RedisWriterOptions {
  readonly client: RedisClient;
  readonly keys: RedisKeys;
  readonly keyPrefix: string;
  readonly logLength: number;
  /** Entries per staging command; see {@link DEFAULT_FULL_WRITE_BATCH}. */
  readonly fullWriteBatch: number;
  /** A staging command may wait this long, so a live writer's staging hashes must outlive it. */
  readonly commandTimeoutMs: number;
}

/** One write: `patch` against `base`, or (no patch) the whole `directory`. */
export interface RedisWrite {
  /** The generation the writer read (compare-and-set); undefined: Redis must be empty. */
  readonly base: { readonly epoch: string; readonly generation: number } | undefined;
  readonly directory: Directory;
  readonly patch: DirectoryPatch | undefined;
  /** Leader lock token ("" = not fenced). */
  readonly token: string;
  readonly cursor: string | undefined;
}

/**
 * Writes through WRITE_SCRIPT, which checks the generation and the lock and makes the change live
 * in one atomic step. A patch, or a directory that fits one batch, is its arguments. A bigger
 * full write (an empty or restored Redis) would hold every entry as an argument at once, in this
 * process and in Redis: it is streamed into staging hashes first, a batch at a time, and the
 * script only renames them over the live ones, so followers still see the old directory or the
 * new one, never a mix.
 */
export class RedisWriter {
  readonly #o: RedisWriterOptions;
  readonly #ttlMs: number;

  constructor(options: RedisWriterOptions) {
    this.#o = options;
    this.#ttlMs = Math.max(MIN_STAGING_TTL_MS, 2 * options.commandTimeoutMs);
  }

  /**
   * Writes `w`; returns the epoch and generation Redis holds now. Throws StoreConflictError when
   * refused and StoreUnavailableError when Redis failed; either way nothing went live.
   */
  async write(w: RedisWrite): Promise<{ epoch: string; generation: number }> {
    const { keys: k, logLength, fullWriteBatch: batch } = this.#o;
    const common = { base: w.base, token: w.token, cursor: w.cursor, logLength, channel: k.channel };
    const live = [k.meta, k.mailboxes, k.lists, k.log, k.leader, k.records];
    if (w.patch) return this.#run(live, writeArgs({ ...common, mode: 'patch', patch: w.patch }));
    if (entryCount(w.directory) <= batch) return this.#run(live, writeArgs({ ...common, mode: 'full', directory: w.directory }));
    const staging = stagingKeys(this.#o.keyPrefix, randomUUID());
    try {
      const staged = await stageDirectory(this.#o.client, staging, w.directory, { batch, ttlMs: this.#ttlMs }).catch((err: unknown) => {
        throw unavailable(err);
      });
      return await this.#run([...live, staging.mailboxes, staging.lists, staging.records], writeArgs({ ...common, mode: 'staged', directory: w.directory, staged }));
    } catch (err) {
      // Refused or failed: nothing went live. A writer that dies here leaves keys that expire.
      await dropStaging(this.#o.client, staging);
      throw err;
    }
  }

  async #run(keys: readonly string[], args: readonly (string | number)[]): Promise<{ epoch: string; generation: number }> {
    let reply: string[];
    try {
      reply = (await WRITE_SCRIPT.run(this.#o.client, keys, args)) as string[];
    } catch (err) {
      throw unavailable(err);
    }
    if (reply[0] === 'not-leader') throw new StoreConflictError('not written: this server no longer holds the sync lock');
    if (reply[0] === 'conflict') throw new StoreConflictError(`not written: redis moved to ${reply[1]}:${reply[2]} meanwhile`);
    if (reply[0] === 'incomplete') throw new StoreUnavailableError('redis write failed: staged entries expired before they were made live');
    return { epoch: reply[1]!, generation: Number(reply[2]) };
  }
}

/** Mailboxes, lists and records a full write sends. */
function entryCount(directory: Directory): number {
  return directory.parts.layers.reduce((n, l) => n + l.live, 0) + Object.keys(directory.records ?? {}).length;
}

function unavailable(err: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`redis write failed: ${(err as Error).message}`, { cause: scrubRedisError(err) });
}
