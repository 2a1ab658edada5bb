import type { Directory } from '../directory/directory.js';

/** What the lookup servers read: the current snapshot, without I/O. */
export interface DirectorySource {
  /** The snapshot to answer from, or undefined while no complete (or fresh enough) one is held. */
  current(): Directory | undefined;
  /** Why {@link current} is undefined, for the TEMP/F reason. */
  unavailableReason(): string;
}
