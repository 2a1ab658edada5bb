import { parseAddress } from '../directory/address.js';

/** provider.selfService.*: how addresses that users can set themselves are treated. */
export interface SelfServiceOptions {
  /** `auto` reads the provider's settings; `admin-only` trusts every field; `self-service` assumes users set them. */
  readonly mode: 'auto' | 'admin-only' | 'self-service';
  /** Accept unverified self-service addresses (role addresses stay refused). */
  readonly acceptUnverified: boolean;
  /** Local parts never taken from a field a user can set (postmaster, abuse, ...). */
  readonly roleAddresses: readonly string[];
}

/** Role local parts: RFC 2142 mailbox names plus the ones certificate authorities mail for domain validation. */
export const DEFAULT_ROLE_ADDRESSES = [
  'postmaster', 'abuse', 'hostmaster', 'webmaster', 'root', 'admin', 'administrator', 'security', 'noc',
  'mailer-daemon', 'ssladmin', 'ssl-admin', 'sysadmin', 'it', 'www', 'usenet', 'news', 'uucp', 'ftp', 'nobody',
];

/** Which user fields a user (not only an admin) can set, as the provider's settings say. */
export interface FieldOwnership {
  /** The primary e-mail: self-registration, or a profile that lets users edit it. */
  readonly selfServiceEmail: boolean;
  /** The aliases attribute. */
  readonly selfServiceAliases: boolean;
  /** Why, for `/status` and the log. */
  readonly reason: string;
}

/** Every field set by admins: nothing is vetted. */
export const ADMIN_ONLY: FieldOwnership = { selfServiceEmail: false, selfServiceAliases: false, reason: 'only admins set addresses' };

/** What the vetting counts into the mapping stats. */
export interface TrustCounters {
  /** Users whose self-service e-mail is unverified: no mailbox. */
  unverifiedSelfService: number;
  /** Role addresses refused from a self-service field (primary or alias). */
  roleAddresses: number;
  /** Aliases dropped because users can set the aliases attribute themselves. */
  selfServiceAliases: number;
}

/** The ownership the options impose, or undefined when it must be read from the provider (`auto`). */
export function forcedOwnership(o: SelfServiceOptions): FieldOwnership | undefined {
  if (o.mode === 'admin-only') return { ...ADMIN_ONLY, reason: 'provider.selfService.mode is admin-only' };
  if (o.mode === 'self-service') return { selfServiceEmail: true, selfServiceAliases: true, reason: 'provider.selfService.mode is self-service' };
  return undefined;
}

/**
 * Keeps strangers from getting a hosted address: an address a user could have typed herself
 * becomes a mailbox or alias only when the provider verified it (or provider.selfService
 * .acceptUnverified says so), and a role address (postmaster@, abuse@, ...) never does.
 */
export class AddressVetter {
  readonly #ownership: FieldOwnership;
  readonly #acceptUnverified: boolean;
  readonly #roles: Set<string>;

  constructor(ownership: FieldOwnership, options: Pick<SelfServiceOptions, 'acceptUnverified' | 'roleAddresses'>) {
    this.#ownership = ownership;
    this.#acceptUnverified = options.acceptUnverified;
    this.#roles = new Set(options.roleAddresses.map((r) => r.toLowerCase()));
  }

  /**
   * Whether the user's primary address may be used. `verified` is the provider's flag (undefined:
   * it keeps none, as Authentik); `fromAdmin` marks an address taken from an admin-only field.
   */
  primary(address: string, verified: boolean | undefined, fromAdmin: boolean, c: TrustCounters): string | undefined {
    if (fromAdmin || !this.#ownership.selfServiceEmail) return undefined;
    if (this.#isRole(address)) return c.roleAddresses++, `${address} is a role address and users can set their own e-mail; no mailbox`;
    if (verified !== true && !this.#acceptUnverified) return c.unverifiedSelfService++, `${address} is unverified and users can set their own e-mail; no mailbox (provider.selfService.acceptUnverified relaxes this)`;
    return undefined;
  }

  /** The aliases that may be used; the reasons for the others go to `report`. */
  aliases(aliases: string[], c: TrustCounters, report: (reason: string) => void): string[] {
    if (!this.#ownership.selfServiceAliases || aliases.length === 0) return aliases;
    return aliases.filter((a) => {
      if (this.#isRole(a)) return c.roleAddresses++, report(`alias ${a} is a role address in a field users can set; dropped`), false;
      if (this.#acceptUnverified) return true;
      return c.selfServiceAliases++, report(`alias ${a} is in a field users can set and cannot be verified; dropped`), false;
    });
  }

  /** A role local part, with any +extension stripped. */
  #isRole(address: string): boolean {
    const local = parseAddress(address)?.local ?? address.split('@')[0]!.toLowerCase();
    return this.#roles.has(local) || this.#roles.has(local.split('+')[0]!);
  }
}
