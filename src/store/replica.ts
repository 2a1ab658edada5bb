import type { Directory } from '../directory/directory.js';

/** One complete directory as read from (or written to) the shared store. */
export interface ReplicaSnapshot {
  readonly directory: Directory;
  /** Identity of the dataset in Redis; a new one after Redis lost its data and was restored. */
  readonly epoch: string;
  /** Write counter within the epoch. */
  readonly generation: number;
  readonly cursor?: string;
}

/**
 * The in-process copy that every lookup reads: a snapshot swapped by reference (atomic for
 * readers) and the time it was last confirmed current against Redis. Past `maxStalenessSeconds`
 * (0: never) it is withheld, so lookups answer TEMP instead of possibly outdated data.
 */
export class Replica {
  readonly #maxStalenessMs: number;
  #snapshot: ReplicaSnapshot | undefined;
  #confirmedAt = 0;

  constructor(maxStalenessSeconds: number) {
    this.#maxStalenessMs = maxStalenessSeconds * 1000;
  }

  get snapshot(): ReplicaSnapshot | undefined {
    return this.#snapshot;
  }

  /** Installs a newer snapshot; an older generation of the same epoch is ignored. */
  swap(next: ReplicaSnapshot): boolean {
    const cur = this.#snapshot;
    if (cur && cur.epoch === next.epoch && next.generation < cur.generation) return false;
    this.#snapshot = next;
    this.confirm();
    return true;
  }

  /** Records that Redis was just seen holding exactly this snapshot. */
  confirm(): void {
    this.#confirmedAt = Date.now();
  }

  /** Seconds since the snapshot was last confirmed; undefined without one. */
  staleSeconds(): number | undefined {
    return this.#snapshot ? (Date.now() - this.#confirmedAt) / 1000 : undefined;
  }

  /** True when a snapshot is held but too old to answer from. */
  tooStale(): boolean {
    return this.#snapshot !== undefined && this.#maxStalenessMs > 0 && Date.now() - this.#confirmedAt > this.#maxStalenessMs;
  }

  /** The directory to answer from, or undefined (none yet, or too stale). */
  current(): Directory | undefined {
    return this.tooStale() ? undefined : this.#snapshot?.directory;
  }
}
