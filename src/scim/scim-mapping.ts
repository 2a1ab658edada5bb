import { addressKey, normalizeDomain, parseAddress } from '../directory/address.js';
import { parseQuota, type ListEntry, type MailboxEntry } from '../directory/directory-data.js';
import { isPasswordHash } from '../providers/attribute-values.js';
import { badRequest } from './scim-error.js';
import type { Resource } from './scim-resources.js';
import { URN } from './scim-schemas.js';

/**
 * Turns SCIM resources into directory entries:
 * - a User's mailbox is its `userName` when that is an address in a hosted domain, else its
 *   primary e-mail, else its first hosted e-mail; none of those is a SCIM 400;
 * - its other hosted e-mails and the extension's `aliases` become aliases (an extension alias
 *   outside the hosted domains is a 400; a private e-mail elsewhere is simply not an alias);
 * - `active: false` disables the mailbox; quota and password hash come from the extension;
 * - a Group is a list when the extension gives an `address` (it must be hosted) or its
 *   displayName is a hosted address, and it has at least one user member; members by SCIM id.
 */
export class ScimMapping {
  readonly #hosted: Set<string>;

  constructor(domains: readonly string[]) {
    this.#hosted = new Set(domains.map((d) => normalizeDomain(d) ?? d.toLowerCase()));
  }

  /** True when `address` is an e-mail address in a hosted domain. */
  hosted(address: string): boolean {
    const parsed = parseAddress(address);
    return parsed !== undefined && this.#hosted.has(parsed.domain);
  }

  /** The mailbox of a User; throws a SCIM 400 when it cannot have one. */
  mailbox(user: Resource): MailboxEntry {
    const emails = (user.emails as { value: string; primary?: boolean }[] | undefined) ?? [];
    const userName = user.userName as string;
    const candidates = [userName, ...emails.filter((e) => e.primary).map((e) => e.value), ...emails.map((e) => e.value)];
    const address = candidates.find((c) => this.hosted(c));
    if (address === undefined) {
      throw badRequest('invalidValue', `User ${userName}: neither userName nor an e-mail is an address in a hosted domain (${[...this.#hosted].join(', ')})`);
    }
    const own = addressKey(parseAddress(address)!);
    const ext = (user[URN.mailUser] as Resource | undefined) ?? {};
    const aliases = new Map<string, string>();
    for (const e of emails) {
      const p = parseAddress(e.value);
      if (p && this.#hosted.has(p.domain) && addressKey(p) !== own) aliases.set(addressKey(p), e.value.toLowerCase());
    }
    for (const a of (ext.aliases as string[] | undefined) ?? []) {
      const key = this.#aliasKey(a, userName);
      if (key !== own) aliases.set(key, a.toLowerCase());
    }
    const quotaBytes = ext.quota === undefined ? undefined : parseQuota(ext.quota);
    if (ext.quota !== undefined && quotaBytes === undefined) throw badRequest('invalidValue', `User ${userName}: quota ${JSON.stringify(ext.quota)} is not a size like 5G`);
    if (ext.passwordHash !== undefined && !isPasswordHash(ext.passwordHash)) throw badRequest('invalidValue', `User ${userName}: passwordHash must be a Dovecot hash with its {SCHEME} prefix`);
    return {
      address: address.toLowerCase(), id: user.id as string,
      ...(aliases.size > 0 && { aliases: [...aliases.values()] }),
      ...(quotaBytes !== undefined && { quotaBytes }),
      ...(user.active === false && { enabled: false }),
      ...(typeof ext.passwordHash === 'string' && { passwordHash: ext.passwordHash }),
    };
  }

  #aliasKey(alias: string, who: string): string {
    if (alias.startsWith('@')) {
      const d = normalizeDomain(alias.slice(1));
      if (d !== undefined && this.#hosted.has(d)) return `@${d}`;
    } else {
      const p = parseAddress(alias);
      if (p && this.#hosted.has(p.domain)) return addressKey(p);
    }
    throw badRequest('invalidValue', `User ${who}: alias ${JSON.stringify(alias)} is not an address in a hosted domain`);
  }

  /** The list address of a Group, if it names one; an extension address outside the hosted domains is a 400. */
  listAddress(group: Resource): string | undefined {
    const ext = (group[URN.mailGroup] as Resource | undefined) ?? {};
    if (typeof ext.address === 'string') {
      if (!this.hosted(ext.address)) throw badRequest('invalidValue', `Group ${String(group.displayName)}: address ${JSON.stringify(ext.address)} is not in a hosted domain`);
      return ext.address.toLowerCase();
    }
    const name = group.displayName as string;
    return this.hosted(name) ? name.toLowerCase() : undefined;
  }

  /**
   * The list of a Group, or undefined when it is not one (no address, or no user members yet:
   * Authentik creates a group first and adds members with PATCH afterwards).
   * `mailboxOf` answers a member id's mailbox address, undefined for an unknown id.
   */
  list(group: Resource, mailboxOf: (id: string) => string | undefined, isGroup: (id: string) => boolean): ListEntry | undefined {
    const members: string[] = [];
    for (const m of (group.members as { value: string }[] | undefined) ?? []) {
      const address = mailboxOf(m.value);
      if (address !== undefined) members.push(address);
      else if (!isGroup(m.value)) throw badRequest('invalidValue', `Group ${String(group.displayName)}: member ${JSON.stringify(m.value)} is not a known User id`);
    }
    const address = this.listAddress(group);
    if (address === undefined || members.length === 0) return undefined;
    return { address, id: group.id as string, members: [...new Set(members)] };
  }
}
