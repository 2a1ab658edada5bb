import type { Logger } from 'pino';
import type { SelfServiceOptions } from './address-trust.js';
import type { MappingOptions } from './provider-mapping.js';

/** Settings every identity-provider API client shares (provider.http.*, provider.pageSize, mapping). */
export interface IdpOptions {
  readonly mapping: MappingOptions;
  /** How addresses users can set themselves are treated (provider.selfService.*). */
  readonly selfService: SelfServiceOptions;
  readonly pageSize: number;
  readonly timeoutMs: number;
  readonly retries: number;
  /** PEM file of extra CAs; '' for none. */
  readonly caFile: string;
  readonly logger?: Logger;
  /** First backoff step in ms (tests shorten it). @default 250 */
  readonly retryBaseMs?: number;
}

/** A JSON object, or undefined when `v` is not one. */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** An id as a string: providers use numbers (Authentik pk) or strings (uuids). */
export function idString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}
