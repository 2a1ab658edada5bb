import { diffEntries, stableJson } from '../directory/directory-changes.js';
import type { ListEntry, MailboxEntry } from '../directory/directory-data.js';
import { LAYER_BITS, LAYER_MASK } from '../directory/directory-layers.js';
import type { Directory } from '../directory/directory.js';
import { runSteps, type Steps } from '../directory/build-steps.js';
import { diffEntryTextSteps, LIST_ENTRIES, MAILBOX_ENTRIES, type EntryRefs } from '../directory/entry-diff.js';

/** One section's changes: exact counts; the entries are parsed only when listed. */
export interface SectionDiff<T> {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  /** The first `max` changes, added then removed then changed (entries made on each call). */
  list(max: number): SectionChange<T>[];
}

/** One listed change of a {@link SectionDiff}. */
export type SectionChange<T> =
  | { readonly kind: 'added' | 'removed'; readonly entry: T }
  | { readonly kind: 'changed'; readonly before: T; readonly after: T };

/** One alias and the mailbox it delivers to. */
export interface AliasEntry {
  readonly address: string;
  /** Owning mailbox address. */
  readonly owner: string;
}

/**
 * What a sync would change, for the deletion guard, the log and `mailroster sync`. Counts are
 * exact; entries are parsed only when listed, so the first load of a million mailboxes (all of
 * them added) or a resync that changes nothing costs no object per entry. It keeps both
 * snapshots alive for listing: do not hold on to it.
 */
export interface DirectoryDiff {
  readonly mailboxes: SectionDiff<MailboxEntry>;
  /** Derived from the mailboxes' aliases: a moved alias is "changed" (new owner). */
  readonly aliases: SectionDiff<AliasEntry>;
  readonly lists: SectionDiff<ListEntry>;
  readonly domains: { readonly added: string[]; readonly removed: string[] };
  /** Mailboxes held before the sync (the base of the deletion share). */
  readonly mailboxesBefore: number;
}

/** Compares the directory held now (undefined: none yet) with the one a sync would write. */
export function diffDirectories(before: Directory | undefined, after: Directory): DirectoryDiff {
  return runSteps(diffDirectorySteps(before, after));
}

/** {@link diffDirectories} as steps (build-steps.ts): a sync runs it in slices. */
export function* diffDirectorySteps(before: Directory | undefined, after: Directory): Steps<DirectoryDiff> {
  const mailboxes = yield* diffEntryTextSteps(before, after, MAILBOX_ENTRIES);
  const lists = yield* diffEntryTextSteps(before, after, LIST_ENTRIES);
  const domainsBefore = before ? effectiveDomains(before) : new Set<string>();
  const domainsAfter = effectiveDomains(after);
  return {
    mailboxes: sectionOf(before, after, mailboxes),
    aliases: aliasDiff(before, after, mailboxes),
    lists: sectionOf(before, after, lists),
    domains: {
      added: [...domainsAfter].filter((d) => !domainsBefore.has(d)),
      removed: [...domainsBefore].filter((d) => !domainsAfter.has(d)),
    },
    mailboxesBefore: before?.mailboxCount ?? 0,
  };
}

/** True when nothing differs. */
export function isEmptyDiff(diff: DirectoryDiff): boolean {
  return [diff.mailboxes, diff.aliases, diff.lists].every((d) => d.added + d.removed + d.changed === 0)
    && diff.domains.added.length + diff.domains.removed.length === 0;
}

/** Counts for logs and metrics: `{ mailboxes: { added, removed, changed }, ... }`. */
export function summarizeDiff(diff: DirectoryDiff): Record<'mailboxes' | 'aliases' | 'lists', { added: number; removed: number; changed: number }> {
  const count = (d: SectionDiff<unknown>) => ({ added: d.added, removed: d.removed, changed: d.changed });
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

/**
 * The alias changes. Aliases are unique within a snapshot, so only the aliases of mailboxes that
 * were added, removed or changed can differ. When one side of those is empty (a first load, or
 * mailboxes only added or only removed) every alias of the other side is added (or removed): they
 * are counted from the packed keys and parsed only when listed. Otherwise both sides are parsed.
 */
function aliasDiff(before: Directory | undefined, after: Directory, m: EntryRefs): SectionDiff<AliasEntry> {
  const changedBefore = m.changed.filter((_r, j) => j % 2 === 0);
  const changedAfter = m.changed.filter((_r, j) => j % 2 === 1);
  const oldSide = [...m.removed, ...changedBefore];
  const newSide = [...m.added, ...changedAfter];
  if (oldSide.length === 0 || newSide.length === 0) {
    const [dir, refs, kind] = oldSide.length === 0 ? [after, newSide, 'added' as const] : [before!, oldSide, 'removed' as const];
    const total = refs.reduce((n, ref) => n + aliasCount(dir, ref), 0);
    return {
      added: kind === 'added' ? total : 0, removed: kind === 'removed' ? total : 0, changed: 0,
      list(max) {
        const out: SectionChange<AliasEntry>[] = [];
        for (let j = 0; j < refs.length && out.length < max; j++) {
          if (aliasCount(dir, refs[j]!) === 0) continue;
          for (const entry of aliasesOf([JSON.parse(m.textOf(dir, refs[j]!)) as MailboxEntry])) if (out.length < max) out.push({ kind, entry });
        }
        return out;
      },
    };
  }
  // Old side in the before snapshot's order, so removals list as they were held.
  const byOrder = (a: number, b: number): number => (a & LAYER_MASK) - (b & LAYER_MASK) || (a >>> LAYER_BITS) - (b >>> LAYER_BITS);
  const parse = (dir: Directory, refs: number[]): MailboxEntry[] => refs.map((r) => JSON.parse(m.textOf(dir, r)) as MailboxEntry);
  const d = diffEntries(aliasesOf(parse(before!, oldSide.sort(byOrder))), aliasesOf(parse(after, newSide.sort(byOrder))));
  return {
    added: d.added.length, removed: d.removed.length, changed: d.changed.length,
    list: (max) => [
      ...d.added.map((entry) => ({ kind: 'added' as const, entry })),
      ...d.removed.map((entry) => ({ kind: 'removed' as const, entry })),
      ...d.changed.map((c) => ({ kind: 'changed' as const, ...c })),
    ].slice(0, max),
  };
}

/** A {@link SectionDiff} over entry refs, parsing `T` from their texts when listed. */
function sectionOf<T>(before: Directory | undefined, after: Directory, refs: EntryRefs): SectionDiff<T> {
  const parse = (dir: Directory, ref: number): T => JSON.parse(refs.textOf(dir, ref)) as T;
  return {
    added: refs.added.length, removed: refs.removed.length, changed: refs.changed.length / 2,
    list(max) {
      const out: SectionChange<T>[] = [];
      for (let j = 0; j < refs.added.length && out.length < max; j++) out.push({ kind: 'added', entry: parse(after, refs.added[j]!) });
      for (let j = 0; j < refs.removed.length && out.length < max; j++) out.push({ kind: 'removed', entry: parse(before!, refs.removed[j]!) });
      for (let j = 0; j < refs.changed.length && out.length < max; j += 2) {
        out.push({ kind: 'changed', before: parse(before!, refs.changed[j]!), after: parse(after, refs.changed[j + 1]!) });
      }
      return out;
    },
  };
}

/** Aliases of the mailbox behind a ref, from its packed keys (its own key first, then one per alias). */
function aliasCount(dir: Directory, ref: number): number {
  const p = dir.layerIndex(ref);
  const i = ref >>> LAYER_BITS;
  return p.mailboxKeys[i + 1]! - p.mailboxKeys[i]! - 1;
}

function aliasesOf(mailboxes: readonly MailboxEntry[]): AliasEntry[] {
  return mailboxes.flatMap((m) => (m.aliases ?? []).map((a) => ({ address: a, owner: m.address })));
}

/** The hosted domains as written: the explicit list, else the domains that have a mailbox. */
function effectiveDomains(dir: Directory): Set<string> {
  if (dir.explicitDomains) return new Set(dir.explicitDomains.map((d) => d.toLowerCase()));
  // The snapshot keeps them (patches count mailboxes per domain), so no entry is read.
  return new Set(dir.parts.domains.values());
}
