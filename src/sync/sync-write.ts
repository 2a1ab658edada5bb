import type { Logger } from 'pino';
import type { DirectoryChange } from '../directory/directory-change.js';
import { applyChangeSteps, type DirectoryPatch } from '../directory/directory-changes.js';
import { runSliced } from '../directory/build-steps.js';
import { Directory } from '../directory/directory.js';
import type { DirectoryData } from '../directory/directory-data.js';
import { editPreparationSteps, editSnapshot } from '../directory/snapshot-edit.js';
import type { DirectoryProvider } from '../providers/provider.js';
import type { DirectoryStore } from '../store/directory-store.js';
import { checkDeletionGuard, type GuardRefusal } from './deletion-guard.js';
import { diffDirectorySteps, isEmptyDiff, summarizeDiff, type DirectoryDiff } from './directory-diff.js';

/** What one sync did. Every outcome but `failed` tells how many mailboxes are now served. */
export type SyncOutcome =
  | { readonly status: 'applied' | 'dry-run'; readonly mailboxes: number; readonly problems: number; readonly diff: DirectoryDiff }
  | { readonly status: 'refused'; readonly mailboxes: number; readonly problems: number; readonly diff: DirectoryDiff; readonly refusal: GuardRefusal }
  | { readonly status: 'skipped'; readonly mailboxes: number; readonly reason: string }
  | { readonly status: 'failed'; readonly error: Error };

/** How a sync is asked for. */
export interface SyncRequest {
  /** Apply even past the deletion guard (`mailroster sync --force`). */
  readonly force?: boolean;
  /** Compute and report the difference, write nothing. */
  readonly dryRun?: boolean;
}

/** What {@link SyncWriter} reads on every call (the engine swaps the provider and guard on a config reload). */
export interface SyncWriterOptions {
  readonly provider: DirectoryProvider;
  readonly store: DirectoryStore;
  readonly logger: Logger;
  readonly maxDeletePercent?: number;
  readonly deleteGuardFloor?: number;
}

/** How one write goes to the store. */
export interface StoreWrite {
  readonly fullSync?: boolean;
  readonly cursor?: string;
  readonly patch?: DirectoryPatch;
}

/** The engine's counters a write moves. */
type WriteCounters = { refused: number; fullSyncs: number; changesApplied: number };

/**
 * The step every kind of sync ends with (full, change feed, one re-read user): build what the
 * provider gave, diff it against what is served, hold it to the deletion guard, write it.
 */
export class SyncWriter {
  readonly #options: () => SyncWriterOptions;
  readonly #stats: WriteCounters;

  /** `stats` are the engine's counters, counted here as writes are refused or made. */
  constructor(options: () => SyncWriterOptions, stats: WriteCounters) {
    this.#options = options;
    this.#stats = stats;
  }

  /**
   * The directory after a batch of changes, with the patch from `base` when the snapshot could be
   * edited in place (time proportional to the batch, no full build); else built whole.
   */
  async #applied(base: Directory, changes: readonly DirectoryChange[], signal?: AbortSignal): Promise<{ directory: Directory; patch?: DirectoryPatch }> {
    await runSliced(editPreparationSteps(base), signal);
    const edited = editSnapshot(base, changes);
    if (edited) return edited;
    // Every entry read back and the changes applied, in slices like the build that follows.
    const held = await runSliced(base.dataSteps(), signal);
    const data = await runSliced(applyChangeSteps(held, changes), signal);
    return { directory: await this.build(data, signal) };
  }

  /**
   * Writes a batch of changes to `base` (the change feed, one re-read user) as a patch where it
   * can: how many were applied, or `refused` when the deletion guard held them back.
   */
  async applyChanges(base: Directory, changes: readonly DirectoryChange[], signal?: AbortSignal, cursor?: string): Promise<number | 'refused'> {
    if (changes.length === 0) return 0;
    const { directory, patch } = await this.#applied(base, changes, signal);
    const outcome = await this.write(directory, {}, { ...(cursor !== undefined && { cursor }), ...(patch && { patch }) });
    if (outcome.status === 'refused') return 'refused';
    this.#stats.changesApplied += changes.length;
    return changes.length;
  }

  /**
   * A snapshot of the provider's data, each skipped entry logged. Built in slices (build-steps.ts):
   * at a million entries the build takes seconds, which lookups would otherwise wait through.
   * An aborted `signal` (shutdown) stops it.
   */
  async build(data: DirectoryData, signal?: AbortSignal): Promise<Directory> {
    const { provider, logger } = this.#options();
    const directory = await runSliced(Directory.buildSteps(data, { strict: provider.strict, source: provider.source ?? provider.name }), signal);
    for (const p of directory.problems) logger.warn({ where: p.where, reason: p.reason }, 'directory entry skipped');
    return directory;
  }

  /** Diffs against what is served, applies the deletion guard, then writes (unless a dry run). */
  async write(directory: Directory, request: SyncRequest, write: StoreWrite): Promise<SyncOutcome> {
    const o = this.#options();
    const { store, logger } = o;
    const base = store.lastGood?.() ?? store.current();
    const diff = await runSliced(diffDirectorySteps(base, directory));
    const counts = { mailboxes: directory.mailboxCount, problems: directory.problems.length, diff };
    const refusal = checkDeletionGuard(diff, { maxDeletePercent: o.maxDeletePercent ?? 10, floor: o.deleteGuardFloor ?? 1, force: request.force === true });
    if (refusal) {
      this.#stats.refused++;
      logger.error({ code: refusal.code, changes: summarizeDiff(diff), refused: this.#stats.refused }, `sync refused: ${refusal.reason}`);
      return { status: 'refused', ...counts, mailboxes: store.current()?.mailboxCount ?? 0, refusal };
    }
    if (request.dryRun) return { status: 'dry-run', ...counts };
    await store.replace(directory, { base, ...(write.cursor !== undefined && { cursor: write.cursor }), ...(write.fullSync && { fullSync: true }), ...(write.patch && { patch: write.patch }) });
    if (write.fullSync) this.#stats.fullSyncs++;
    if (!isEmptyDiff(diff) || write.fullSync) logger.info({ mailboxes: directory.mailboxCount, problems: directory.problems.length, changes: summarizeDiff(diff) }, 'directory loaded');
    return { status: 'applied', ...counts };
  }
}
