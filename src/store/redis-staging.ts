import type { Directory } from '../directory/directory.js';
import { forEachLiveEntry, LAYER_BITS, LAYER_MASK } from '../directory/directory-layers.js';
import { listField, type StagedCounts } from './redis-codec.js';
import type { StagingKeys } from './redis-keys.js';
import { execAll, type RedisClient } from './redis-scripts.js';

/** Most bytes of JSON one staging command carries, whatever the batch size (lists can be large). */
const BATCH_BYTES = 1024 * 1024;
/**
 * Staging commands sent before the oldest is awaited: enough to keep Redis busy while the next
 * batch is made, few enough that only that many batches are held at once.
 */
const IN_FLIGHT = 4;

/** How a staged write sends its entries. */
export interface StagingOptions {
  /** Entries per command. */
  readonly batch: number;
  /** TTL every command sets again on its staging hash: what a writer that dies leaves expires. */
  readonly ttlMs: number;
}

/**
 * Writes every live entry of `directory` (and its records) into the staging hashes, `batch`
 * entries per MULTI of HSET and PEXPIRE, straight from the packed layers: only the batches in
 * flight exist as strings, never the whole directory. The keys get their TTL in the same
 * transaction that creates them, so none outlives a writer that dies. Returns the fields added,
 * which the commit checks against what the staging hashes hold by then.
 */
export async function stageDirectory(client: RedisClient, keys: StagingKeys, directory: Directory, o: StagingOptions): Promise<StagedCounts> {
  const counts = { mailboxes: 0, lists: 0, records: 0 };
  const inFlight: Promise<unknown>[] = [];
  let pairs: string[] = [];
  let bytes = 0;
  /** Adds one field; true when the batch is full. */
  const add = (field: string, value: string): boolean => {
    pairs.push(field, value);
    bytes += value.length;
    return pairs.length >= 2 * o.batch || bytes >= BATCH_BYTES;
  };
  const flush = async (kind: keyof StagedCounts): Promise<void> => {
    if (pairs.length === 0) return;
    const key = keys[kind];
    const sent = execAll(client.multi().hset(key, pairs).pexpire(key, o.ttlMs)).then(([added]) => (counts[kind] += added as number));
    sent.catch(() => undefined); // awaited in order below; until then a failure must not count as unhandled
    inFlight.push(sent);
    pairs = [];
    bytes = 0;
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
  };
  try {
    const { layers } = directory.parts;
    for (const kind of ['mailboxes', 'lists'] as const) {
      // Refs first (4-8 bytes an entry), strings only per batch.
      const refs: number[] = [];
      forEachLiveEntry(layers, kind === 'lists', (_p, _i, ref) => refs.push(ref));
      for (const ref of refs) {
        const p = layers[ref & LAYER_MASK]!.index;
        const i = ref >>> LAYER_BITS;
        const json = kind === 'mailboxes' ? p.mailboxText(i) : p.listText(i);
        if (add(kind === 'mailboxes' ? p.mailboxAddress(i) : listField(json), json)) await flush(kind);
      }
      await flush(kind);
    }
    for (const [k, v] of directory.records ?? []) if (add(k, JSON.stringify(v))) await flush('records');
    await flush('records');
    await Promise.all(inFlight);
  } catch (err) {
    await Promise.allSettled(inFlight);
    throw err;
  }
  return counts;
}

/** Deletes the staging hashes of a write that was not made live (best effort: they expire anyway). */
export async function dropStaging(client: RedisClient, keys: StagingKeys): Promise<void> {
  await client.unlink(keys.mailboxes, keys.lists, keys.records).catch(() => undefined);
}
