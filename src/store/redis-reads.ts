import type { DirectoryPatch } from '../directory/directory-changes.js';
import type { StoredDirectory } from '../directory/directory-builder.js';
import { decodeLogEntry, decodeMeta, decodeStoredDirectory, type StoredMeta } from './redis-codec.js';
import type { RedisKeys } from './redis-keys.js';
import { execAll, type RedisClient } from './redis-scripts.js';

/**
 * The patches that bring generation `generation` of epoch `epoch` up to what Redis holds, with
 * the meta they lead to, read in one transaction. Undefined when the log cannot do it: another
 * epoch, or entries trimmed or missing (the reader then reads everything).
 */
export async function readPatchesAfter(client: RedisClient, keys: RedisKeys, epoch: string, generation: number): Promise<{ meta: StoredMeta; patches: DirectoryPatch[] } | undefined> {
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
export async function readWhole(client: RedisClient, keys: RedisKeys): Promise<{ meta: StoredMeta; stored: StoredDirectory } | undefined> {
  const [meta, mailboxes, lists, records] = await execAll(client.multi().hgetall(keys.meta).hvalsBuffer(keys.mailboxes).hvalsBuffer(keys.lists).hgetall(keys.records));
  return decodeStoredDirectory(meta as Record<string, string>, mailboxes as Buffer[], lists as Buffer[], records as Record<string, string>);
}
