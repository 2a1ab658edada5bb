import { addressKey, normalizeDomain, parseAddress, splitExtension, type ParsedAddress } from './address.js';
import type { Directory, Mailbox } from './directory.js';

/** Address rules that the operator may change. */
export interface AddressRules {
  /** Postfix recipient_delimiter: every character is a delimiter; empty disables extensions. */
  readonly recipientDelimiter: string;
  /** Append an unmatched `+ext` to hosted alias targets, like propagate_unmatched_extensions. */
  readonly propagateExtension: boolean;
  /** Let disabled mailboxes keep receiving mail (they still cannot log in). */
  readonly acceptDisabled: boolean;
}

/** Default rules, matching a stock Postfix with `recipient_delimiter = +`. */
export const DEFAULT_ADDRESS_RULES: AddressRules = { recipientDelimiter: '+', propagateExtension: true, acceptDisabled: false };

/**
 * Answers the questions Postfix asks, over one directory snapshot. Socketmap only ever receives
 * the full key (it is a pattern table, so Postfix never generates partial keys), so this class
 * does what virtual(5) TABLE SEARCH ORDER would: full address, address without extension, then
 * the `@domain` catch-all. Every method answers undefined for "no such entry", including odd keys.
 */
export class AddressResolver {
  readonly #dir: Directory;
  readonly #rules: AddressRules;

  constructor(directory: Directory, rules: AddressRules) {
    this.#dir = directory;
    this.#rules = rules;
  }

  /** virtual_mailbox_domains: the hosted domain as written. */
  domain(key: string): string | undefined {
    const ascii = normalizeDomain(key);
    return ascii === undefined ? undefined : this.#dir.hostedDomain(ascii);
  }

  /** The deliverable mailbox for a recipient, `user+ext@` included. */
  mailbox(key: string): Mailbox | undefined {
    const addr = parseAddress(key);
    if (!addr) return undefined;
    const exact = this.#dir.mailbox(addressKey(addr));
    const found = exact ?? this.#withoutExtension(addr, (base) => this.#dir.mailbox(base))?.value;
    return found && this.#receives(found) ? found : undefined;
  }

  /** virtual_alias_maps: one level of targets (Postfix recurses itself). */
  alias(key: string): string[] | undefined {
    const addr = parseAddress(key);
    if (!addr) return undefined;
    const full = addressKey(addr);
    // A mailbox's own address is never an alias, so a catch-all cannot swallow it.
    if (this.#dir.mailbox(full)) return undefined;
    const exact = this.#targets(full);
    if (exact) return this.#nonEmpty(exact);
    const split = splitExtension(addr.local, this.#rules.recipientDelimiter);
    if (split) {
      const base = addressKey({ local: split.base, domain: addr.domain });
      if (this.#dir.mailbox(base)) return undefined;
      const targets = this.#targets(base);
      if (targets) return this.#nonEmpty(this.#propagate(targets, split.delimiter + split.extension));
    }
    const owner = this.#dir.catchAll(addr.domain);
    if (!owner || !this.#receives(owner)) return undefined;
    const suffix = split ? split.delimiter + split.extension : '';
    return this.#propagate([owner.address], suffix);
  }

  /** smtpd_sender_login_maps: the logins allowed to use this sender address. */
  senders(key: string): string[] | undefined {
    const addr = parseAddress(key);
    if (!addr) return undefined;
    const full = this.#owners(addressKey(addr));
    if (full) return full;
    const base = this.#withoutExtension(addr, (k) => this.#owners(k));
    if (base) return base.value;
    if (this.#dir.mailbox(addressKey(addr)) || this.#dir.list(addressKey(addr))) return undefined;
    const owner = this.#dir.catchAll(addr.domain);
    return owner && owner.enabled ? [owner.address] : undefined;
  }

  #owners(key: string): string[] | undefined {
    const mb = this.#dir.mailbox(key) ?? this.#dir.aliasOwner(key);
    if (mb) return mb.enabled ? [mb.address] : undefined;
    const list = this.#dir.list(key);
    return list && list.senders.length > 0 ? [...list.senders] : undefined;
  }

  #targets(key: string): string[] | undefined {
    const owner = this.#dir.aliasOwner(key);
    if (owner) return this.#receives(owner) ? [owner.address] : [];
    const list = this.#dir.list(key);
    if (!list) return undefined;
    // Members that are disabled mailboxes of ours are left out; everything else is passed on.
    return list.members.filter((m) => {
      const mb = this.#dir.mailboxForLogin(m);
      return !mb || mb.address !== m || this.#receives(mb);
    });
  }

  #propagate(targets: string[], suffix: string): string[] {
    if (suffix === '' || !this.#rules.propagateExtension) return targets;
    return targets.map((t) => {
      const addr = parseAddress(t);
      if (!addr || !this.#dir.hostedDomain(addr.domain)) return t;
      if (splitExtension(addr.local, this.#rules.recipientDelimiter)) return t;
      const at = t.lastIndexOf('@');
      return `${t.slice(0, at)}${suffix}${t.slice(at)}`;
    });
  }

  #withoutExtension<T>(addr: ParsedAddress, find: (key: string) => T | undefined): { value: T } | undefined {
    const split = splitExtension(addr.local, this.#rules.recipientDelimiter);
    if (!split) return undefined;
    const value = find(addressKey({ local: split.base, domain: addr.domain }));
    return value === undefined ? undefined : { value };
  }

  #receives(mb: Mailbox): boolean {
    return mb.enabled || this.#rules.acceptDisabled;
  }

  #nonEmpty(targets: string[]): string[] | undefined {
    return targets.length > 0 ? targets : undefined;
  }
}
