import { ServiceError } from '../errors.js';

/** Redis could not be reached or answered an error; the replica keeps serving. */
export class StoreUnavailableError extends ServiceError {
  override name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

/**
 * Another writer changed the directory in Redis since this process read it (a compare-and-set
 * lost), or this process no longer holds the sync lock. Nothing was written.
 */
export class StoreConflictError extends ServiceError {
  override name = 'StoreConflictError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_CONFLICT', message, options);
  }
}
