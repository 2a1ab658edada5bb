import { attrList } from './attribute-values.js';
import type { HttpClient } from './http-client.js';
import { asObject, idString } from './idp-options.js';
import { ProviderError } from './provider-error.js';
import type { ProviderUser } from './provider-mapping.js';

type Json = Record<string, unknown>;

/** Keycloak's `disabledReason` attribute value after a permanent brute-force lockout. */
const PERMANENT_LOCKOUT = 'permanentLockout';

/** The id of a user representation; a user without one fails the sync. */
export function requireId(raw: Json): string {
  const id = idString(raw.id);
  if (id === undefined) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'keycloak: a user has no id');
  return id;
}

/**
 * A Keycloak user as mapping sees it; undefined for service accounts. A lock by brute-force
 * detection is not a disable: a permanent lockout (Keycloak sets `enabled: false` and the
 * `disabledReason` attribute) keeps the mailbox, as does a temporary one (`locked`).
 */
export function toKeycloakUser(raw: Json, temporarilyLocked = false): ProviderUser | undefined {
  if (raw.serviceAccountClientId !== undefined) return undefined;
  const attributes = asObject(raw.attributes) ?? {};
  const locked = temporarilyLocked || (raw.enabled === false && attrList(attributes, 'disabledReason').includes(PERMANENT_LOCKOUT));
  return {
    id: requireId(raw),
    ...(typeof raw.email === 'string' && raw.email !== '' && { email: raw.email }),
    ...(typeof raw.emailVerified === 'boolean' && { emailVerified: raw.emailVerified }),
    active: raw.enabled !== false || locked,
    ...(locked && { locked: true }),
    attributes,
  };
}

/**
 * Re-reads single users (after an event). `GET /users/{id}` says `enabled: false` while a user
 * is temporarily locked by brute-force detection (the listing says true), so a disabled answer is
 * checked against `/attack-detection/brute-force/users/{id}`; when that cannot be read, the
 * state of the last full listing is kept instead of trusting the single read.
 */
export class KeycloakUserReader {
  readonly #http: HttpClient;
  readonly #base: string;

  constructor(http: HttpClient, realmBase: string) {
    this.#http = http;
    this.#base = realmBase;
  }

  /** The user now; 'deleted' after a 404. `listedActive` is what the last listing said. */
  async read(id: string, listedActive: boolean | undefined, signal: AbortSignal): Promise<ProviderUser | 'deleted' | undefined> {
    const raw = await this.#get(`${this.#base}/users/${encodeURIComponent(id)}`, signal);
    if (raw === undefined) return 'deleted';
    const user = toKeycloakUser(raw);
    if (!user || user.active) return user;
    const lock = await this.#get(`${this.#base}/attack-detection/brute-force/users/${encodeURIComponent(id)}`, signal).catch((err: unknown) => {
      if (err instanceof ProviderError && err.code !== 'PROVIDER_TIMEOUT') return null;
      throw err;
    });
    if (lock?.disabled === true) return toKeycloakUser(raw, true);
    // Unknown lock state: only the listing's `enabled` is trusted.
    if ((lock === null || lock === undefined) && listedActive === true) return { ...user, active: true };
    return user;
  }

  async #get(path: string, signal: AbortSignal): Promise<Json | undefined> {
    try {
      const raw = asObject(await this.#http.getJson(path, {}, signal));
      if (!raw) throw new ProviderError('PROVIDER_BAD_RESPONSE', `keycloak: GET /${path}: not an object`);
      return raw;
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return undefined;
      throw err;
    }
  }
}
