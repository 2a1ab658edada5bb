import { normalizeDomain, parseAddress } from '../directory/address.js';
import { parseQuota, type DirectoryData, type ListEntry, type MailboxEntry } from '../directory/directory-data.js';
import type { AddressVetter, TrustCounters } from './address-trust.js';
import { attrFlag, attrHashes, attrList, attrScalar, isPasswordHash } from './attribute-values.js';
import type { GroupTree } from './group-tree.js';

/** Which user and group attributes carry mail settings (provider.mapping.* plus provider.domains). */
export interface MappingOptions {
  /** List attribute with further addresses of a user (`@domain` is a catch-all). */
  readonly aliasesAttribute: string;
  /** Quota such as `5G` or a byte count. */
  readonly quotaAttribute: string;
  /** On/off flag; absent means enabled. */
  readonly enabledAttribute: string;
  /** Dovecot password hashes (`{BLF-CRYPT}...`; a list, or several separated by spaces). */
  readonly passwordHashAttribute: string;
  /** Only members of this group (name or path) get a mailbox; '' for every user with an e-mail. */
  readonly mailboxGroup: string;
  /** Group attribute holding a list address; such groups become lists of their users. */
  readonly listMailAttribute: string;
  /** Hosted domains; addresses elsewhere are ignored and counted. Empty: every domain. */
  readonly domains: readonly string[];
}

/** A user as every provider delivers it, reduced to what mapping needs. */
export interface ProviderUser {
  /** Immutable id (Authentik pk, Keycloak id): an e-mail rename moves the mailbox. */
  readonly id: string;
  readonly email?: string;
  /** Authentik is_active / Keycloak enabled. */
  readonly active: boolean;
  /** Keycloak emailVerified; undefined where the provider keeps no such flag (Authentik). */
  readonly emailVerified?: boolean;
  /** The e-mail came from an attribute only admins can set (provider.authentik.emailAttribute). */
  readonly emailFromAdmin?: boolean;
  /** Locked by brute-force detection only: `active` stays true, the lock is counted. */
  readonly locked?: boolean;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** What one mapping run counted; logged after each full sync. */
export interface MappingStats extends TrustCounters {
  mailboxes: number;
  disabled: number;
  withoutEmail: number;
  outsideMailboxGroup: number;
  /** Addresses (primary, alias or list) outside provider.domains, ignored. */
  foreignAddresses: number;
  /** Attribute values that could not be used (the rest of the user is kept). */
  invalidAttributes: number;
  /** Aliases equal to another user's primary address (the mailbox wins). */
  collisions: number;
  lists: number;
  /** Users locked by brute-force detection whose mailboxes stay enabled. */
  locked: number;
}

/** Reports one skipped entry or value: who (`user 42`), and why. */
export type MappingReport = (who: string, reason: string) => void;

/** Turns provider users and groups into directory data; one instance per full sync. */
export class DirectoryMapper {
  readonly stats: MappingStats = newStats();
  readonly #o: MappingOptions;
  readonly #report: MappingReport;
  readonly #domains: Set<string>;
  readonly #vetter: AddressVetter | undefined;

  /** `vetter` refuses addresses users could have set themselves; none: every field is trusted. */
  constructor(options: MappingOptions, report: MappingReport, vetter?: AddressVetter) {
    this.#o = options;
    this.#report = report;
    this.#vetter = vetter;
    this.#domains = new Set(options.domains.map((d) => normalizeDomain(d) ?? d.toLowerCase()));
  }

  /** Starts counting afresh (a new paging pass maps the same users again). */
  resetStats(): void {
    Object.assign(this.stats, newStats());
  }

  /** Ids allowed a mailbox, or undefined when every user is (no mailboxGroup). */
  mailboxMembers(tree: GroupTree): Set<string> | undefined {
    return this.#o.mailboxGroup === '' ? undefined : tree.members(tree.find(this.#o.mailboxGroup).id);
  }

  /** Groups whose members mapping needs: list groups and the mailbox group, with their subtrees. */
  groupsNeedingMembers(tree: GroupTree): Set<string> {
    const roots = tree.groups.filter((g) => attrList(g.attributes, this.#o.listMailAttribute).length > 0).map((g) => g.id);
    if (this.#o.mailboxGroup !== '') roots.push(tree.find(this.#o.mailboxGroup).id);
    return new Set(roots.flatMap((id) => tree.subtree(id).map((g) => g.id)));
  }

  /** Maps one user; undefined when the user gets no mailbox (the reason is counted). */
  mailbox(user: ProviderUser, allowed: Set<string> | undefined): MailboxEntry | undefined {
    const s = this.stats;
    const who = `user ${user.id}`;
    if (!user.email) return void s.withoutEmail++;
    if (allowed && !allowed.has(user.id)) return void s.outsideMailboxGroup++;
    if (!this.#hosted(user.email, who)) return undefined;
    const refused = this.#vetter?.primary(user.email, user.emailVerified, user.emailFromAdmin === true, s);
    if (refused !== undefined) return void this.#report(who, refused);
    const attrs = user.attributes;
    const flag = attrFlag(attrs, this.#o.enabledAttribute, true);
    if (flag === undefined) this.#invalid(who, `${this.#o.enabledAttribute} is not true/false; mailbox disabled`);
    const enabled = user.active && flag === true;
    if (user.locked) s.locked++;
    if (!enabled) s.disabled++;
    const listed = attrList(attrs, this.#o.aliasesAttribute).filter((a) => this.#aliasUsable(a, who));
    const aliases = this.#vetter ? this.#vetter.aliases(listed, s, (reason) => this.#report(who, reason)) : listed;
    const rawQuota = attrScalar(attrs, this.#o.quotaAttribute);
    const quotaBytes = rawQuota === undefined || rawQuota === '' ? undefined : parseQuota(rawQuota);
    if (rawQuota !== undefined && rawQuota !== '' && quotaBytes === undefined) this.#invalid(who, `${this.#o.quotaAttribute} ${JSON.stringify(rawQuota)} is not a size like 5G`);
    const hashes = attrHashes(attrs, this.#o.passwordHashAttribute);
    const usable = hashes.filter(isPasswordHash);
    if (usable.length < hashes.length) this.#invalid(who, `${this.#o.passwordHashAttribute}: ${hashes.length - usable.length} value(s) not a {SCHEME}hash; ignored`);
    s.mailboxes++;
    return {
      address: user.email.toLowerCase(),
      id: user.id,
      ...(aliases.length > 0 && { aliases }),
      ...(quotaBytes !== undefined && { quotaBytes }),
      ...(!enabled && { enabled: false }),
      ...(usable.length > 0 && { passwordHashes: [...new Set(usable)] }),
    };
  }

  /**
   * Completes a full sync: reports aliases that are another user's address (the directory
   * builder keeps the mailbox and drops the alias; this names both users), and turns groups with
   * a list address into lists whose members (and allowed senders) are their enabled mailboxes.
   */
  directory(mailboxes: readonly MailboxEntry[], tree: GroupTree): DirectoryData {
    const byId = new Map<string, MailboxEntry>();
    const byAddress = new Map<string, MailboxEntry>();
    for (const mb of mailboxes) {
      byId.set(mb.id!, mb);
      byAddress.set(mb.address, mb);
    }
    for (const mb of mailboxes) {
      for (const a of mb.aliases ?? []) {
        const owner = byAddress.get(a);
        if (owner && owner !== mb) {
          this.stats.collisions++;
          this.#report(`user ${mb.id}`, `alias ${a} is the address of user ${owner.id}; the alias is dropped`);
        }
      }
    }
    const lists = this.lists(tree, (id) => byId.get(id));
    return { ...(this.#o.domains.length > 0 && { domains: [...this.#o.domains] }), mailboxes: [...mailboxes], lists };
  }

  /** Lists from groups carrying a list address; `mailboxOf` resolves a member id. */
  lists(tree: GroupTree, mailboxOf: (id: string) => MailboxEntry | undefined): ListEntry[] {
    const out: ListEntry[] = [];
    for (const g of tree.groups) {
      const addresses = attrList(g.attributes, this.#o.listMailAttribute);
      if (addresses.length === 0) continue;
      const members: string[] = [];
      for (const id of tree.members(g.id)) {
        const mb = mailboxOf(id);
        if (mb && mb.enabled !== false) members.push(mb.address);
      }
      members.sort();
      for (const address of addresses) {
        if (!this.#hosted(address, `group ${g.name}`)) continue;
        this.stats.lists++;
        out.push({ address: address.toLowerCase(), id: addresses.length > 1 ? `${g.id}:${address.toLowerCase()}` : g.id, members, senders: members });
      }
    }
    return out;
  }

  #aliasUsable(alias: string, who: string): boolean {
    if (alias.startsWith('@')) {
      const d = normalizeDomain(alias.slice(1));
      if (d === undefined) return this.#invalid(who, `alias ${alias} is not @domain`), false;
      return this.#domainHosted(d) || (this.stats.foreignAddresses++, false);
    }
    return this.#hosted(alias, who);
  }

  /** Parses an address and checks its domain; bad or foreign addresses are counted. */
  #hosted(address: string, who: string): boolean {
    const parsed = parseAddress(address);
    if (!parsed) return this.#invalid(who, `${JSON.stringify(address)} is not an e-mail address`), false;
    if (this.#domainHosted(parsed.domain)) return true;
    this.stats.foreignAddresses++;
    return false;
  }

  #domainHosted(asciiDomain: string): boolean {
    return this.#domains.size === 0 || this.#domains.has(asciiDomain);
  }

  #invalid(who: string, reason: string): void {
    this.stats.invalidAttributes++;
    this.#report(who, reason);
  }
}

function newStats(): MappingStats {
  return {
    mailboxes: 0, disabled: 0, withoutEmail: 0, outsideMailboxGroup: 0, foreignAddresses: 0, invalidAttributes: 0, collisions: 0, lists: 0,
    unverifiedSelfService: 0, roleAddresses: 0, selfServiceAliases: 0, locked: 0,
  };
}
