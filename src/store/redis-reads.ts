import { runSliced, runSteps } from '../directory/build-steps.js';
import type { DirectoryPatch } from '../directory/directory-changes.js';
import { buildStoredIndexSteps, type StoredDirectory } from '../directory/directory-builder.js';
import { Directory } from '../directory/directory.js';
import { patchSteps } from '../directory/indexed-directory.js';
import { decodeLogEntry, decodeMeta, decodeStoredDirectory, type StoredMeta } from './redis-codec.js';
import type { RedisKeys } from './redis-keys.js';
import { execAll, type RedisClient } from './redis-scripts.js';

/**
 * The patches that bring generation `generation` of epoch `epoch` up to what Redis holds, with
 * the meta they lead to, read in one transaction. Undefined when the log cannot do it: another
 * epoch, or entries trimmed or missing (the reader then reads everything).
 */
async function readPatchesAfter(client: RedisClient, keys: RedisKeys, epoch: string, generation: number): Promise<{ meta: StoredMeta; patches: DirectoryPatch[] } | undefined> {
  const [meta, entries] = await execAll(client.multi()
    .hmget(keys.meta, 'epoch', 'generation', 'cursor')
    .xrange(keys.log, `${generation + 1}-0`, '+')) as [(string | null)[], [string, string[]][]];
  const stored = decodeMeta(meta[0], meta[1], meta[2]);
  const log = entries.map(decodeLogEntry);
  const contiguous = log.every((e, i) => e.generation === generation + 1 + i);
  if (!stored || stored.epoch !== epoch || !contiguous || log.at(-1)?.generation !== stored.generation) return undefined;
  return { meta: stored, patches: log.map((e) => e.patch) };
}

/**
 * Meta and every entry in one transaction, so the copy is one generation, whole; undefined when
 * Redis holds no directory. Values come as Buffers: the build reads canonical entries from their
 * bytes (no string per value).
 */
async function readWhole(client: RedisClient, keys: RedisKeys): Promise<{ meta: StoredMeta; stored: StoredDirectory } | undefined> {
  const [meta, mailboxes, lists, records] = await execAll(client.multi().hgetall(keys.meta).hvalsBuffer(keys.mailboxes).hvalsBuffer(keys.lists).hgetall(keys.records));
  return decodeStoredDirectory(meta as Record<string, string>, mailboxes as Buffer[], lists as Buffer[], records as Record<string, string>);
}

/** A directory read from Redis, with the meta it was read at. */
export interface ReadDirectory {
  readonly directory: Directory;
  readonly meta: StoredMeta;
}

/**
 * `directory` (generation `generation` of epoch `epoch`) brought up to Redis by replaying the
 * log; undefined when the log cannot (see readPatchesAfter). Each patch costs what it changes
 * (see patchDirectory), so a backlog is cheap too; a merge or rebuild one of them sets off runs
 * in slices, the replica serving meanwhile.
 */
export async function replayLog(client: RedisClient, keys: RedisKeys, from: { directory: Directory; epoch: string; generation: number }): Promise<ReadDirectory | undefined> {
  const read = await readPatchesAfter(client, keys, from.epoch, from.generation);
  if (!read) return undefined;
  let directory = from.directory;
  for (const patch of read.patches) directory = await runSliced(patchSteps(directory, patch));
  return { directory, meta: read.meta };
}

/**
 * Everything Redis holds (see readWhole), built from the stored bytes; undefined when it holds no
 * directory. `sliced` while a replica serves (a leader's full write makes every follower read it
 * all again); whole on a start, where nothing is served yet and only the start waits.
 */
export async function readDirectory(client: RedisClient, keys: RedisKeys, sliced: boolean): Promise<ReadDirectory | undefined> {
  const decoded = await readWhole(client, keys);
  if (!decoded) return undefined;
  const steps = buildStoredIndexSteps(decoded.stored);
  return { directory: Directory.fromIndexes(sliced ? await runSliced(steps) : runSteps(steps)), meta: decoded.meta };
}
