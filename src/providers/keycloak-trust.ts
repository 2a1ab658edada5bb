import { forcedOwnership, type FieldOwnership, type SelfServiceOptions } from './address-trust.js';
import type { HttpClient } from './http-client.js';
import { asObject } from './idp-options.js';
import type { KeycloakToken } from './keycloak-token.js';
import { ProviderError } from './provider-error.js';
import type { ProviderFeatures } from './provider-status.js';

type Json = Record<string, unknown>;

/** Roles that let the service account view every user (view-users is included in realm-admin). */
const SEES_ALL = ['view-users', 'realm-admin'];

/**
 * What the service account may see and who sets addresses in the realm, read before each full
 * sync. Without `view-users` Keycloak lists only the users fine-grained permissions let it view,
 * with no error: that is refused. Users can set their own e-mail when the realm allows
 * self-registration (`registrationAllowed`, needs `view-realm` to read) or when the user profile
 * (24+) lets the `user` role edit `email`; before 24 without a declarative profile the account
 * console always lets them. The aliases attribute is theirs when the profile lets them edit it,
 * or, undeclared, when unmanaged attributes are ENABLED.
 */
export class KeycloakTrust {
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #token: KeycloakToken;
  readonly #features: ProviderFeatures;
  readonly #options: SelfServiceOptions;
  readonly #aliases: string;

  constructor(parts: { http: HttpClient; base: string; token: KeycloakToken; features: ProviderFeatures; options: SelfServiceOptions; aliasesAttribute: string }) {
    this.#http = parts.http;
    this.#base = parts.base;
    this.#token = parts.token;
    this.#features = parts.features;
    this.#options = parts.options;
    this.#aliases = parts.aliasesAttribute;
  }

  /** Checks the service account sees every user, then works out who sets addresses. */
  async check(signal: AbortSignal): Promise<FieldOwnership> {
    const roles = await this.#token.managementRoles(signal);
    if (roles === undefined) {
      this.#features.off('permissionCheck', 'the access token lists no realm-management roles (lightweight tokens?); make sure the service account holds view-users');
    } else if (!roles.some((r) => SEES_ALL.includes(r))) {
      throw new ProviderError('PROVIDER_AUTH', 'keycloak: the service account lacks the realm-management role view-users; without it Keycloak lists only the users '
        + 'fine-grained permissions let it view, without an error, so the sync is refused rather than shrinking the directory. Assign view-users (Clients, the client, Service accounts roles)');
    } else {
      this.#features.on('permissionCheck', 'the service account holds view-users');
    }
    return forcedOwnership(this.#options) ?? this.#ownership(signal);
  }

  async #ownership(signal: AbortSignal): Promise<FieldOwnership> {
    const reasons: string[] = [];
    const realm = await this.#optional(`${this.#base}`, signal);
    let registration = realm?.registrationAllowed as boolean | undefined;
    if (typeof registration !== 'boolean') {
      registration = true;
      reasons.push('realm settings unreadable (needs view-realm): self-registration is assumed on');
    } else if (registration) {
      reasons.push('the realm allows self-registration');
    }
    const profile = await this.#optional(`${this.#base}/users/profile`, signal, true);
    let email: boolean;
    let aliases = false;
    if (profile === null) {
      email = true;
      reasons.push('no user profile (before Keycloak 24): users can change their e-mail in the account console');
    } else if (profile === undefined) {
      email = true;
      reasons.push('user profile unreadable: users are assumed able to change their e-mail');
    } else {
      email = userEdits(profile, 'email') ?? true;
      const declared = userEdits(profile, this.#aliases);
      aliases = declared ?? profile.unmanagedAttributePolicy === 'ENABLED';
      if (email) reasons.push('the user profile lets users edit their e-mail');
      if (aliases) reasons.push(`users can edit ${this.#aliases}`);
    }
    const selfServiceEmail = registration || email;
    const reason = reasons.length > 0 ? reasons.join('; ') : 'only admins set e-mails and aliases';
    this.#features.on('selfServiceCheck', reason);
    return { selfServiceEmail, selfServiceAliases: aliases, reason };
  }

  /** An optional read: undefined when it fails, null for a 404 when `absentOk`. */
  async #optional(path: string, signal: AbortSignal, absentOk = false): Promise<Json | undefined | null> {
    try {
      return asObject(await this.#http.getJson(path, {}, signal));
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      return absentOk && err.status === 404 ? null : undefined;
    }
  }
}

/** Whether the profile lets the `user` role edit `name`; undefined when the attribute is not declared. */
function userEdits(profile: Json, name: string): boolean | undefined {
  const attrs = Array.isArray(profile.attributes) ? profile.attributes.map(asObject) : [];
  const attr = attrs.find((a) => a?.name === name);
  if (!attr) return undefined;
  const edit = asObject(attr.permissions)?.edit;
  return Array.isArray(edit) && edit.includes('user');
}
