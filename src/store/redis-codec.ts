import { randomUUID } from 'node:crypto';
import type { DirectoryPatch } from '../directory/directory-changes.js';
import type { StoredDirectory } from '../directory/directory-builder.js';
import type { ListEntry } from '../directory/directory-data.js';
import type { Directory } from '../directory/directory.js';
import { LayeredMap } from '../directory/layered-map.js';
import { entryTexts } from '../directory/directory-entries.js';

/** The meta hash fields, as read back. */
export interface StoredMeta {
  readonly epoch: string;
  readonly generation: number;
  readonly cursor?: string;
}

/**
 * Reads the meta hash, the mailbox and list hash values (HVALS as Buffers: each value holds its
 * address) and the records into a stored directory for buildStoredIndexes, which takes canonical
 * values from their bytes unparsed; undefined when Redis holds none. Entries keep the hashes'
 * order: nothing depends on it (lookups go by key, diffs match by key, sorted iteration sorts),
 * and sorting a million addresses cost a second of a warm start.
 */
export function decodeStoredDirectory(
  meta: Record<string, string>,
  mailboxes: Buffer[],
  lists: Buffer[],
  records: Record<string, string> = {},
): { meta: StoredMeta; stored: StoredDirectory } | undefined {
  if (!meta.epoch) return undefined;
  const recordKeys = Object.keys(records).sort();
  const stored: StoredDirectory = {
    ...(meta.domains ? { domains: JSON.parse(meta.domains) as unknown } : {}),
    mailboxes, lists,
    ...(recordKeys.length > 0 && { records: LayeredMap.of(recordKeys.map((k) => [k, JSON.parse(records[k]!) as unknown])) }),
  };
  return { meta: decodeMeta(meta.epoch, meta.generation, meta.cursor)!, stored };
}

/** Meta from its fields; undefined when there is no epoch (an empty Redis). */
export function decodeMeta(epoch: string | null | undefined, generation: string | null | undefined, cursor?: string | null): StoredMeta | undefined {
  if (!epoch) return undefined;
  return { epoch, generation: Number(generation ?? 0), ...(cursor ? { cursor } : {}) };
}

/**
 * Largest patch kept in the change log. A bigger one (a sync that rewrote much of the directory)
 * is left out: followers notice the gap and read everything once, which costs about the same, and
 * the log stays bounded at store.logLength times this.
 */
const MAX_LOG_ENTRY_BYTES = 1024 * 1024;

/** Fields a staged full write added to each staging hash (HSET's replies, summed). */
export interface StagedCounts {
  readonly mailboxes: number;
  readonly lists: number;
  readonly records: number;
}

/**
 * What one write needs: a patch, the whole directory into emptied hashes, or the commit of a
 * directory already in staging hashes (redis-staging.ts).
 */
export type WriteRequest = WriteCommon & (
  | { readonly mode: 'patch'; readonly patch: DirectoryPatch }
  | { readonly mode: 'full'; readonly directory: Directory }
  | { readonly mode: 'staged'; readonly directory: Directory; readonly staged: StagedCounts }
);

/** What every write needs besides its data. */
interface WriteCommon {
  /** The generation the writer read (compare-and-set); undefined: Redis must be empty. */
  readonly base: { readonly epoch: string; readonly generation: number } | undefined;
  /** Leader lock token ("" = not fenced). */
  readonly token: string;
  readonly cursor: string | undefined;
  readonly logLength: number;
  readonly channel: string;
}

/** The ARGV of WRITE_SCRIPT, in its order (see there). */
export function writeArgs(w: WriteRequest): (string | number)[] {
  const json = w.mode === 'patch' ? JSON.stringify(w.patch) : '';
  const domains = w.mode === 'patch' ? w.patch.domains : (w.directory.explicitDomains ?? null);
  const head: (string | number)[] = [
    w.mode, w.base?.epoch ?? '', w.base?.generation ?? 0, w.token, randomUUID(), domainsArg(domains), w.cursor ?? '-',
    Buffer.byteLength(json) <= MAX_LOG_ENTRY_BYTES ? json : '', w.logLength, w.channel, Date.now(),
  ];
  if (w.mode === 'staged') return [...head, w.staged.mailboxes, 0, w.staged.lists, 0, w.staged.records, 0];
  // Pushed, never spread: a full write of a big directory has millions of arguments.
  for (const a of w.mode === 'patch' ? patchArgs(w.patch) : fullArgs(w.directory)) head.push(a);
  return head;
}

/** The counts and data arguments of WRITE_SCRIPT for a patch. */
function patchArgs(patch: DirectoryPatch): string[] {
  const pairs = (entries: readonly { address: string }[]) => entries.flatMap((e) => [e.address.toLowerCase(), JSON.stringify(e)]);
  const recordPairs = Object.entries(patch.records?.put ?? {}).flatMap(([k, v]) => [k, JSON.stringify(v)]);
  const recordDel = patch.records?.del ?? [];
  return [
    String(patch.mailboxes.put.length), String(patch.mailboxes.del.length), String(patch.lists.put.length), String(patch.lists.del.length),
    String(recordPairs.length / 2), String(recordDel.length),
    ...pairs(patch.mailboxes.put), ...patch.mailboxes.del, ...pairs(patch.lists.put), ...patch.lists.del, ...recordPairs, ...recordDel,
  ];
}

/**
 * The counts and data arguments of WRITE_SCRIPT for the whole directory, straight from the
 * canonical JSON the snapshot holds: a million mailboxes are not parsed and stringified again.
 */
function fullArgs(dir: Directory): string[] {
  const { mailboxes, lists } = entryTexts(dir);
  const records = dir.records ?? LayeredMap.EMPTY;
  const out = [String(mailboxes.size), '0', String(lists.size), '0', String(records.size), '0'];
  for (const [address, json] of mailboxes) out.push(address, json);
  for (const json of lists.values()) out.push(listField(json), json);
  for (const [k, v] of records) out.push(k, JSON.stringify(v));
  return out;
}

/**
 * The lists hash field of a list's canonical JSON: its address in lower case, as patches address
 * it. Mailboxes are held by that very address, but lists by key, and an IDN list's key is not its
 * address, so it comes from the entry.
 */
export function listField(json: string): string {
  return (JSON.parse(json) as ListEntry).address.toLowerCase();
}

/** The domains argument of WRITE_SCRIPT: "-" keeps, "" clears, else JSON. */
function domainsArg(domains: DirectoryPatch['domains']): string {
  if (domains === undefined) return '-';
  return domains === null ? '' : JSON.stringify(domains);
}

/** Parses a log stream entry (`[id, ["patch", json]]`) into its generation and patch. */
export function decodeLogEntry(entry: [string, string[]]): { generation: number; patch: DirectoryPatch } {
  const [id, fields] = entry;
  return { generation: Number(id.split('-')[0]), patch: JSON.parse(fields[fields.indexOf('patch') + 1]!) as DirectoryPatch };
}
