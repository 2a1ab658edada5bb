import type { Logger } from 'pino';
import { runSliced } from '../directory/build-steps.js';
import { Directory } from '../directory/directory.js';
import type { DirectoryPatch } from '../directory/directory-changes.js';
import type { DirectoryStore } from '../store/directory-store.js';
import { StoreConflictError } from '../store/store-errors.js';
import { SerialQueue } from '../sync/serial-queue.js';
import { DeletionWindow } from './deletion-window.js';
import { editPreparationSteps } from '../directory/snapshot-edit.js';
import { buildForDraftSteps, editForDraft } from './scim-edit.js';
import { ScimError } from './scim-error.js';
import type { ScimMapping } from './scim-mapping.js';
import { ScimDraft } from './scim-draft.js';
import { guardOf, ScimState } from './scim-state.js';

/** Options of {@link ScimStore}. */
export interface ScimStoreOptions {
  readonly store: DirectoryStore;
  readonly mapping: ScimMapping;
  /** provider.domains, written as the directory's hosted domains. */
  readonly domains: readonly string[];
  readonly guard: DeletionWindow;
  readonly logger: Logger;
  /** Called after every applied write with the number of resources it changed. */
  readonly onApplied?: (resources: number) => void;
}

/** Attempts before a write that keeps losing the compare-and-set gives up (503). */
const MAX_ATTEMPTS = 8;

/**
 * Pushed SCIM resources kept in the directory store beside the entries they map to. Every request
 * becomes one draft, mapped, validated as a whole directory and written in one atomic store write
 * against the snapshot it was computed from: requests on this server queue up, and a write that
 * lost the race against another server is recomputed on the newer snapshot. A request that would
 * leave an invalid directory is refused and writes nothing.
 */
export class ScimStore {
  readonly #o: ScimStoreOptions;
  readonly #queue = new SerialQueue();

  constructor(options: ScimStoreOptions) {
    this.#o = options;
  }

  /**
   * The resources served now: the last complete snapshot (none yet: empty, unless the store is
   * unreachable), indexed in slices when this snapshot has not been yet (60-100 ms at 100k users).
   */
  async read(): Promise<ScimState> {
    return runSliced(ScimState.ofSteps(this.#held()?.records));
  }

  /** The removals the deletion guard holds now, read from the records without indexing them. */
  pendingRemovals(): number {
    return guardOf(this.#held()?.records).pending.length;
  }

  /** The snapshot served; throws the 503 a client gets when there is none and the store is unreachable. */
  #held(): Directory | undefined {
    const { store } = this.#o;
    const held = store.lastGood?.() ?? store.current();
    if (!held && store.status().connected === false) throw new ScimError(503, `directory store unavailable: ${store.unavailableReason()}`, undefined, { 'retry-after': '5' });
    return held;
  }

  /** Runs `build` on the current state and writes its draft; resolves with build's result. */
  write<T>(build: (draft: ScimDraft) => T, options: { force?: boolean } = {}): Promise<T> {
    return this.#queue.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const base = this.#o.store.lastGood?.() ?? this.#o.store.current();
        // What the first write on a snapshot indexes (its resources, its layers' ids), in slices.
        const draft = new ScimDraft(await runSliced(ScimState.ofSteps(base?.records)));
        if (base) await runSliced(editPreparationSteps(base));
        let result: T;
        let edit: { directory: Directory; patch?: DirectoryPatch };
        let refused: ReturnType<DeletionWindow['check']>;
        try {
          result = build(draft);
          if (draft.changes.size === 0) return result;
          refused = this.#o.guard.check(draft, base?.mailboxCount ?? 0, options.force === true);
          const written = refused?.draft ?? draft;
          edit = (base && editForDraft(base, written, this.#o.mapping, this.#o.domains)) ?? { directory: await runSliced(buildForDraftSteps(base, written, this.#o.mapping, this.#o.domains)) };
        } catch (err) {
          // A refusal decided on a replica that lags behind (the resource was just created on
          // another server): look again once on the shared copy before answering.
          if (attempt === 1 && err instanceof ScimError && err.status < 500 && (await this.#refreshed(base))) continue;
          throw err;
        }
        try {
          await this.#o.store.replace(edit.directory, { base, fenced: false, ...(edit.patch && { patch: edit.patch }) });
        } catch (err) {
          if (!(err instanceof StoreConflictError) || attempt >= MAX_ATTEMPTS) throw toScimError(err);
          await this.#o.store.refresh?.();
          continue;
        }
        if (edit.directory.records) ScimState.after(refused?.draft ?? draft, edit.directory.records);
        if (refused) throw refused.error;
        this.#o.onApplied?.(draft.changes.size);
        return result;
      }
    });
  }

  /** Brings the replica up to the shared store; true when that changed the snapshot. */
  async #refreshed(base: Directory | undefined): Promise<boolean> {
    if (!this.#o.store.refresh) return false;
    await this.#o.store.refresh().catch(() => undefined);
    return (this.#o.store.lastGood?.() ?? this.#o.store.current()) !== base;
  }

  /** `find` on the resources held, and once more on the shared copy when it finds nothing here. */
  async readFresh<T>(find: (state: ScimState) => T | undefined): Promise<T | undefined> {
    const state = await this.read();
    const hit = find(state);
    if (hit !== undefined || !this.#o.store.refresh) return hit;
    const before = this.#o.store.lastGood?.() ?? this.#o.store.current();
    return (await this.#refreshed(before)) ? find(await this.read()) : undefined;
  }

  /** Resolves once queued writes are done. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }
}

function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  return new ScimError(503, `directory store unavailable, nothing written: ${(err as Error).message}`, undefined, { 'retry-after': '5' });
}
