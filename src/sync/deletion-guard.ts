import type { DirectoryDiff } from './directory-diff.js';

/** Limits of {@link checkDeletionGuard}. */
export interface DeletionGuardOptions {
  /** Largest share of the held mailboxes one write may remove (percent). */
  readonly maxDeletePercent: number;
  /** Removing at most this many mailboxes is always allowed (a small directory losing one user). */
  readonly floor: number;
  /** The operator confirmed this write (`mailroster sync --force`). */
  readonly force: boolean;
}

/** Why a write was refused; `code` is stable, for logs and counters. */
export interface GuardRefusal {
  readonly code: 'SYNC_EMPTY_ANSWER' | 'SYNC_DELETION_GUARD';
  readonly reason: string;
}

/**
 * Decides whether a sync may remove what the diff removes. A provider answer with no mailboxes
 * never replaces a directory that has some, even forced: that is an outage or a wrong filter,
 * not a decision. Beyond that, removing more than `maxDeletePercent` needs `force`.
 */
export function checkDeletionGuard(diff: DirectoryDiff, options: DeletionGuardOptions): GuardRefusal | undefined {
  const before = diff.mailboxesBefore;
  const removed = diff.mailboxes.removed;
  if (before === 0 || removed === 0) return undefined;
  if (removed === before && diff.mailboxes.added === 0) {
    return { code: 'SYNC_EMPTY_ANSWER', reason: `the provider answered no mailboxes; keeping the ${before} held` };
  }
  const percent = (removed / before) * 100;
  if (options.force || removed <= options.floor || percent <= options.maxDeletePercent) return undefined;
  return {
    code: 'SYNC_DELETION_GUARD',
    reason: `would remove ${removed} of ${before} mailboxes (${percent.toFixed(1)}% > sync.maxDeletePercent ${options.maxDeletePercent}%); run "mailroster sync --once --force" to apply`,
  };
}
