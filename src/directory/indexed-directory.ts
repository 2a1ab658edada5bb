import { domainOf } from './address.js';
import { applyPatch, type DirectoryPatch } from './directory-changes.js';
import type { DirectoryData, ListEntry, MailboxEntry } from './directory-data.js';
import { buildIndexes } from './directory-builder.js';
import { Directory, type DirectoryIndexes } from './directory.js';

/** A snapshot with the indexes it was made from, so a patch can update them instead of rebuilding. */
export interface IndexedDirectory {
  readonly directory: Directory;
  readonly indexes: DirectoryIndexes;
}

const SOURCE = 'redis';

/** Builds a snapshot from data read from Redis (written by a leader that validated it). */
export function indexDirectory(data: DirectoryData): IndexedDirectory {
  const indexes = buildIndexes(data, { strict: false, source: SOURCE });
  return { directory: new Directory(indexes), indexes };
}

/**
 * Applies a patch to a snapshot in time proportional to the patch, not the directory: the entries
 * it replaces or deletes are indexed on their own to learn every key they held, the new entries
 * likewise, and the result is copies of the old maps with those keys swapped. This is what lets a
 * follower take one changed mailbox of a 100k directory well within the 1 s bound (a full build
 * takes about a second). The writer validated the patched directory as a whole, so entries cannot
 * clash; if one of the small builds still reports a problem, the patch falls back to a full build.
 */
export function patchIndexed(base: IndexedDirectory, patch: DirectoryPatch): IndexedDirectory {
  const old = base.indexes;
  const data = applyPatch(old.data, patch);
  const touched = (put: readonly { address: string }[], del: readonly string[]) => new Set([...put.map((e) => e.address.toLowerCase()), ...del.map((a) => a.toLowerCase())]);
  const mbTouched = touched(patch.mailboxes.put, patch.mailboxes.del);
  const lsTouched = touched(patch.lists.put, patch.lists.del);
  const oldDomains = hostedDomains(old.data);
  const newDomains = hostedDomains(data);
  const gone = buildIndexes({
    domains: oldDomains,
    mailboxes: old.data.mailboxes.filter((m: MailboxEntry) => mbTouched.has(m.address.toLowerCase())),
    lists: (old.data.lists ?? []).filter((l: ListEntry) => lsTouched.has(l.address.toLowerCase())),
  }, { strict: false, source: SOURCE });
  const added = buildIndexes({ domains: newDomains, mailboxes: patch.mailboxes.put, lists: patch.lists.put }, { strict: false, source: SOURCE });
  if (gone.problems.length + added.problems.length > 0) return indexDirectory(data);

  const swap = <V>(map: ReadonlyMap<string, V>, out: ReadonlyMap<string, unknown>, into: ReadonlyMap<string, V>): Map<string, V> => {
    const next = new Map(map);
    for (const k of out.keys()) next.delete(k);
    for (const [k, v] of into) next.set(k, v);
    return next;
  };
  const mailboxes = swap(old.mailboxes, gone.mailboxes, added.mailboxes);
  const domains = data.domains !== undefined
    ? buildIndexes({ domains: data.domains, mailboxes: [] }, { strict: false, source: SOURCE }).domains
    : implicitDomains(mailboxes);
  const indexes: DirectoryIndexes = {
    domains, mailboxes, data,
    aliasOwners: swap(old.aliasOwners, gone.aliasOwners, added.aliasOwners),
    catchAlls: swap(old.catchAlls, gone.catchAlls, added.catchAlls),
    lists: swap(old.lists, gone.lists, added.lists),
  };
  return { directory: new Directory(indexes), indexes };
}

/** Hosted domains as written: the explicit list, or every mailbox's domain. */
function hostedDomains(data: DirectoryData): string[] {
  if (data.domains !== undefined) return [...data.domains];
  return [...new Set(data.mailboxes.map((m) => domainOf(m.address)))];
}

/** Without an explicit list, a domain is hosted while a mailbox is in it (as the builder does). */
function implicitDomains(mailboxes: ReadonlyMap<string, { readonly key: string; readonly domain: string }>): Map<string, string> {
  const domains = new Map<string, string>();
  for (const m of mailboxes.values()) domains.set(domainOf(m.key), m.domain);
  return domains;
}
