import { ServiceError } from '../errors.js';

/** Stable codes of provider failures; any of them fails the whole sync and keeps the last good directory. */
export type ProviderErrorCode =
  /** The provider answered an HTTP error that retries did not cure, or could not be reached. */
  | 'PROVIDER_HTTP'
  /** 401/403: the credentials are wrong or lack a permission; the message names it. */
  | 'PROVIDER_AUTH'
  /** No complete answer within provider.http.timeoutMs, after the retries. */
  | 'PROVIDER_TIMEOUT'
  /** The body is not the JSON shape the provider documents. */
  | 'PROVIDER_BAD_RESPONSE'
  /** The listing kept changing under paging and no consistent snapshot could be taken. */
  | 'PROVIDER_INCONSISTENT'
  /** The provider's data contradicts the configuration (e.g. provider.mapping.mailboxGroup does not exist). */
  | 'PROVIDER_CONFIG';

/** A failure talking to an identity provider. Keeps the HTTP status and the underlying `cause`. */
export class ProviderError extends ServiceError {
  override name = 'ProviderError';
  declare readonly code: ProviderErrorCode;
  /** HTTP status of the final answer, when there was one. */
  readonly status?: number;

  constructor(code: ProviderErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    if (options?.status !== undefined) this.status = options.status;
  }
}
