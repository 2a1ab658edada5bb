import { forcedOwnership, type FieldOwnership, type SelfServiceOptions } from './address-trust.js';
import type { AuthentikApi, Json } from './authentik-api.js';
import { ProviderError } from './provider-error.js';
import type { ProviderFeatures } from './provider-status.js';

const VIEW_USER = 'authentik_core.view_user';
const VIEW_GROUP = 'authentik_core.view_group';
const VIEW_SETTINGS = 'authentik_rbac.view_system_settings';
const VIEW_FLOW = 'authentik_flows.view_flow';

/** The token user's global permissions, from /core/users/me/; undefined where the version does not say. */
interface TokenUser {
  readonly superuser: boolean;
  readonly permissions: ReadonlySet<string> | undefined;
}

/**
 * What the API token may see and what Authentik lets users change, read before each full sync.
 * A token whose user lacks the global view permissions sees only the users it has object rights
 * on, with no error (rbac/filters.py): that is refused instead of shrinking the directory. Users
 * can set their own e-mail when the system setting `default_user_change_email` is on, or when an
 * enrollment flow lets anyone sign up; Authentik keeps no "verified" flag, so such e-mails count
 * as unverified.
 */
export class AuthentikTrust {
  readonly #api: AuthentikApi;
  readonly #features: ProviderFeatures;
  readonly #options: SelfServiceOptions;

  constructor(api: AuthentikApi, features: ProviderFeatures, options: SelfServiceOptions) {
    this.#api = api;
    this.#features = features;
    this.#options = options;
  }

  /** Checks the token sees the whole directory, then works out who sets addresses. */
  async check(signal: AbortSignal): Promise<FieldOwnership> {
    const me = await this.#tokenUser(signal);
    this.#requireWholeDirectory(me);
    return forcedOwnership(this.#options) ?? this.#ownership(me, signal);
  }

  #requireWholeDirectory(me: TokenUser): void {
    if (me.superuser) return void this.#features.on('permissionCheck', 'the token user is a superuser');
    if (me.permissions === undefined) return void this.#features.off('permissionCheck', 'this Authentik does not list the token user\'s permissions; make sure it holds the global view_user and view_group');
    const missing = [VIEW_USER, VIEW_GROUP].filter((p) => !me.permissions!.has(p));
    if (missing.length === 0) return void this.#features.on('permissionCheck', 'the token user holds global view_user and view_group');
    throw new ProviderError('PROVIDER_AUTH', `authentik: the API token's user lacks the global permission(s) ${missing.join(', ')}; `
      + 'with only object-level rights Authentik lists just some users, without an error, so the sync is refused rather than shrinking the directory. '
      + 'Give the user a role holding these permissions globally (or make it a superuser)');
  }

  async #tokenUser(signal: AbortSignal): Promise<TokenUser> {
    let user: Json | undefined;
    try {
      user = (await this.#api.get('api/v3/core/users/me/', {}, signal))?.user as Json | undefined;
    } catch (err) {
      // A dead token fails here, with its own message; anything else only loses the check.
      if (!(err instanceof ProviderError) || err.code === 'PROVIDER_AUTH') throw err;
    }
    const perms = user?.system_permissions;
    return { superuser: user?.is_superuser === true, permissions: Array.isArray(perms) ? new Set(perms.map(String)) : undefined };
  }

  async #ownership(me: TokenUser, signal: AbortSignal): Promise<FieldOwnership> {
    const may = (perm: string): boolean => me.superuser || me.permissions === undefined || me.permissions.has(perm);
    const reasons: string[] = [];
    let selfService = false;
    const change = may(VIEW_SETTINGS) ? await this.#optional(() => this.#api.get('api/v3/admin/settings/', {}, signal)) : undefined;
    if (change === undefined) {
      selfService = true;
      reasons.push(`system settings unreadable (needs ${VIEW_SETTINGS}): users are assumed able to change their e-mail`);
    } else if (change?.default_user_change_email === true) {
      selfService = true;
      reasons.push('users may change their e-mail (System settings: "Allow users to change email")');
    }
    // Without view_flow the flow listing is empty, not refused: only ask when the listing can be trusted.
    const flows = may(VIEW_FLOW) ? await this.#optional(() => this.#api.all('api/v3/flows/instances/', { designation: 'enrollment' }, signal)) : undefined;
    if (flows === undefined) {
      selfService = true;
      reasons.push(`flows unreadable (needs ${VIEW_FLOW}): self-enrollment is assumed possible`);
    } else {
      const open = flows.filter((f) => f.authentication === 'none' || f.authentication === 'require_unauthenticated').map((f) => String(f.slug));
      if (open.length > 0) {
        selfService = true;
        reasons.push(`anyone may enroll through flow ${open.join(', ')}`);
      }
    }
    const reason = selfService ? reasons.join('; ') : 'only admins set e-mails (no open enrollment flow, users may not change their e-mail)';
    this.#features.on('selfServiceCheck', reason);
    return { selfServiceEmail: selfService, selfServiceAliases: false, reason };
  }

  /** An optional probe: its failure is reported and answers undefined, never failing the sync. */
  async #optional<T>(probe: () => Promise<T>): Promise<T | undefined> {
    try {
      return await probe();
    } catch (err) {
      if (!(err instanceof ProviderError) || err.code === 'PROVIDER_CONFIG') throw err;
      return undefined;
    }
  }
}
