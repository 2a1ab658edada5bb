import { domainOf } from '../directory/address.js';
import { diffEntries, stableJson, type EntryDiff } from '../directory/directory-changes.js';
import type { DirectoryData, ListEntry, MailboxEntry } from '../directory/directory-data.js';

/** One alias and the mailbox it delivers to. */
export interface AliasEntry {
  readonly address: string;
  /** Owning mailbox address. */
  readonly owner: string;
}

/** What a sync would change, for the deletion guard, the log and `mailroster sync`. */
export interface DirectoryDiff {
  readonly mailboxes: EntryDiff<MailboxEntry>;
  /** Derived from the mailboxes' aliases: a moved alias is "changed" (new owner). */
  readonly aliases: EntryDiff<AliasEntry>;
  readonly lists: EntryDiff<ListEntry>;
  readonly domains: { readonly added: string[]; readonly removed: string[] };
  /** Mailboxes held before the sync (the base of the deletion share). */
  readonly mailboxesBefore: number;
}

/** Compares the directory held now (undefined: none yet) with the one a sync would write. */
export function diffDirectories(before: DirectoryData | undefined, after: DirectoryData): DirectoryDiff {
  const base: DirectoryData = before ?? { mailboxes: [] };
  const domainsBefore = effectiveDomains(base);
  const domainsAfter = effectiveDomains(after);
  return {
    mailboxes: diffEntries(base.mailboxes, after.mailboxes),
    aliases: diffEntries(aliasesOf(base), aliasesOf(after)),
    lists: diffEntries(base.lists ?? [], after.lists ?? []),
    domains: {
      added: [...domainsAfter].filter((d) => !domainsBefore.has(d)),
      removed: [...domainsBefore].filter((d) => !domainsAfter.has(d)),
    },
    mailboxesBefore: base.mailboxes.length,
  };
}

/** True when nothing differs. */
export function isEmptyDiff(diff: DirectoryDiff): boolean {
  return [diff.mailboxes, diff.aliases, diff.lists].every((d) => d.added.length + d.removed.length + d.changed.length === 0)
    && diff.domains.added.length + diff.domains.removed.length === 0;
}

/** Counts for logs and metrics: `{ mailboxes: { added, removed, changed }, ... }`. */
export function summarizeDiff(diff: DirectoryDiff): Record<'mailboxes' | 'aliases' | 'lists', { added: number; removed: number; changed: number }> {
  const count = (d: EntryDiff<unknown>) => ({ added: d.added.length, removed: d.removed.length, changed: d.changed.length });
  return { mailboxes: count(diff.mailboxes), aliases: count(diff.aliases), lists: count(diff.lists) };
}

/** The fields of a changed entry that differ, e.g. `quotaBytes, aliases`. */
export function changedFields(before: object, after: object): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  // A password hash is named, never shown: the diff is printed and logged.
  return [...keys].filter((k) => stableJson(b[k]) !== stableJson(a[k])).sort();
}

function aliasesOf(data: DirectoryData): AliasEntry[] {
  return data.mailboxes.flatMap((m) => (m.aliases ?? []).map((a) => ({ address: a, owner: m.address })));
}

function effectiveDomains(data: DirectoryData): Set<string> {
  const explicit = data.domains?.map((d) => d.toLowerCase());
  return new Set(explicit ?? data.mailboxes.map((m) => domainOf(m.address)));
}
