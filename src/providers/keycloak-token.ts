import type { HttpClient } from './http-client.js';
import { asObject } from './idp-options.js';
import { ProviderError } from './provider-error.js';

/** Share of a token's lifetime after which it is renewed (a 60 s token is renewed after 42 s). */
const RENEW_AT = 0.7;

/**
 * A client-credentials access token for the Keycloak Admin API, cached and renewed before it
 * expires (Keycloak's default lifespan is short: minutes). One request at a time fetches it.
 */
export class KeycloakToken {
  readonly #http: HttpClient;
  readonly #path: string;
  readonly #form: Record<string, string>;
  #token: string | undefined;
  #renewAt = 0;
  #pending: Promise<string> | undefined;

  constructor(http: HttpClient, realm: string, clientId: string, clientSecret: string) {
    this.#http = http;
    this.#path = `realms/${encodeURIComponent(realm)}/protocol/openid-connect/token`;
    this.#form = { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret };
  }

  /** A valid token: the cached one, or a fresh one when it is due for renewal. */
  get(signal: AbortSignal): Promise<string> {
    if (this.#token !== undefined && Date.now() < this.#renewAt) return Promise.resolve(this.#token);
    this.#pending ??= this.#fetch(signal).finally(() => { this.#pending = undefined; });
    return this.#pending;
  }

  /**
   * The realm-management roles the current token grants (Keycloak access tokens are JWTs listing
   * effective client roles under `resource_access`); undefined when the token does not say
   * (lightweight access tokens, an opaque token).
   */
  async managementRoles(signal: AbortSignal): Promise<string[] | undefined> {
    const token = await this.get(signal);
    try {
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      const roles = asObject(asObject(payload.resource_access)?.['realm-management'])?.roles;
      return Array.isArray(roles) ? roles.map(String) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Forgets the cached token (the Admin API answered 401: revoked or expired early). */
  invalidate(): void {
    this.#token = undefined;
  }

  async #fetch(signal: AbortSignal): Promise<string> {
    let body: Record<string, unknown> | undefined;
    try {
      body = asObject(await this.#http.postForm(this.#path, this.#form, signal, true));
    } catch (err) {
      // Keycloak answers 400 invalid_client / unauthorized_client for bad or unfit clients.
      if (err instanceof ProviderError && err.status === 400) {
        throw new ProviderError('PROVIDER_AUTH', `keycloak: token request refused (${err.message}); check provider.keycloak.clientId/clientSecret and that the client is confidential with "Service accounts roles" on`, { cause: err, status: 400 });
      }
      throw err;
    }
    const token = body?.access_token;
    const lifetime = typeof body?.expires_in === 'number' ? body.expires_in : 60;
    if (typeof token !== 'string' || token === '') {
      throw new ProviderError('PROVIDER_BAD_RESPONSE', `keycloak: POST /${this.#path}: no access_token in the answer`);
    }
    this.#token = token;
    this.#renewAt = Date.now() + lifetime * 1000 * RENEW_AT;
    return token;
  }
}
