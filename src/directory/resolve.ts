import { lookupKey, normalizeDomain, parseAddress, splitExtension } from './address.js';
import { answerValue, keyAnswer, mailboxAnswer, type Answer } from './answers.js';
import { KeyBytesResolver } from './resolve-bytes.js';
import { KEY_ALIAS, KEY_LIST, KEY_MAILBOX, type Directory, type Mailbox } from './directory.js';

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
 * List answers are resolved once per snapshot, on first use.
 */
export class AddressResolver {
  readonly #dir: Directory;
  readonly #rules: AddressRules;
  /** List ref -> its alias answer (members that receive), and its sender logins. */
  readonly #listTargets = new Map<number, string[]>();
  /** List ref -> its exact alias answer, joined once. */
  readonly #listAnswers = new Map<number, string>();
  /** List ref -> its sender logins, joined once. */
  readonly #listSenders = new Map<number, string>();
  /** The same answers straight from canonical request bytes (the socketmap server's path). */
  readonly bytes: KeyBytesResolver;

  constructor(directory: Directory, rules: AddressRules) {
    this.#dir = directory;
    this.#rules = rules;
    this.bytes = new KeyBytesResolver(this, directory, rules);
  }

  /** The snapshot this resolver answers from. */
  get directory(): Directory {
    return this.#dir;
  }

  /** virtual_mailbox_domains: the hosted domain as written. */
  domain(key: string): string | undefined {
    const ascii = normalizeDomain(key);
    return ascii === undefined ? undefined : this.#dir.hostedDomain(ascii);
  }

  /** The ref of the deliverable mailbox for a recipient, `user+ext@` included; -1 for none. */
  mailboxRef(raw: string): number {
    const key = lookupKey(raw);
    if (key === undefined) return -1;
    let ref = this.#dir.mailboxRef(key);
    if (ref < 0) {
      const base = this.#baseKey(key);
      if (base !== undefined) ref = this.#dir.mailboxRef(base);
    }
    return ref >= 0 && this.#receives(ref) ? ref : -1;
  }

  /** The deliverable mailbox for a recipient, `user+ext@` included. */
  mailbox(raw: string): Mailbox | undefined {
    const ref = this.mailboxRef(raw);
    return ref < 0 ? undefined : this.#dir.mailboxAt(ref);
  }

  /** virtual_mailbox_maps: `domain/local/`. */
  mailboxAnswer(raw: string): Answer {
    const ref = this.mailboxRef(raw);
    return ref < 0 ? undefined : mailboxAnswer(ref, 0);
  }

  /** virtual_alias_maps: one level of targets, comma-separated (Postfix recurses itself). */
  aliasAnswer(raw: string): Answer {
    const dir = this.#dir;
    const key = lookupKey(raw);
    if (key === undefined) return undefined;
    const k = dir.findKey(key);
    // A mailbox's own address is never an alias, so a catch-all cannot swallow it.
    if (k >= 0) {
      const kind = dir.keyKind(k);
      if (kind === KEY_MAILBOX) return undefined;
      if (kind === KEY_ALIAS || kind === KEY_LIST) return this.keyTargets(k);
    }
    const at = key.lastIndexOf('@');
    const split = splitExtension(key.slice(0, at), this.#rules.recipientDelimiter);
    if (split) {
      const b = dir.findKey(split.base + key.slice(at));
      const kind = b < 0 ? 0 : dir.keyKind(b);
      if (kind === KEY_MAILBOX) return undefined;
      if (kind === KEY_ALIAS || kind === KEY_LIST) return this.#propagate(this.#targets(b), split.delimiter + split.extension);
    }
    const owner = dir.catchAllRef(key.slice(at + 1));
    if (owner < 0 || !this.#receives(owner)) return undefined;
    return split ? this.#propagate([dir.mailboxAddress(owner)], split.delimiter + split.extension) : mailboxAnswer(owner, 1);
  }

  /** virtual_alias_maps as a list of targets. */
  alias(raw: string): string[] | undefined {
    return splitAnswer(this.value(this.aliasAnswer(raw)));
  }

  /** smtpd_sender_login_maps: the logins allowed to use this sender address, comma-separated. */
  sendersAnswer(raw: string): Answer {
    const dir = this.#dir;
    const key = lookupKey(raw);
    if (key === undefined) return undefined;
    const k = dir.findKey(key);
    const full = k >= 0 ? this.keyOwners(k) : undefined;
    if (full) return full;
    const base = this.#baseKey(key);
    const b = base === undefined ? -1 : dir.findKey(base);
    const owners = b >= 0 ? this.keyOwners(b) : undefined;
    if (owners) return owners;
    // An address that is a mailbox or a list of ours is never anyone's through the catch-all.
    if (k >= 0 && (dir.keyKind(k) === KEY_MAILBOX || dir.keyKind(k) === KEY_LIST)) return undefined;
    const owner = dir.catchAllRef(key.slice(key.lastIndexOf('@') + 1));
    return owner >= 0 && dir.enabled(owner) ? mailboxAnswer(owner, 1) : undefined;
  }

  /** smtpd_sender_login_maps as a list of logins. */
  senders(raw: string): string[] | undefined {
    return splitAnswer(this.value(this.sendersAnswer(raw)));
  }

  /** The value an answer stands for (what Postfix gets after `OK `). */
  value(answer: Answer): string | undefined {
    return answerValue(this.#dir, answer);
  }

  /** The logins of the mailbox, alias or list a key ref names; undefined when nobody may send as it. */
  keyOwners(k: number): Answer {
    const dir = this.#dir;
    const kind = dir.keyKind(k);
    if (kind === KEY_MAILBOX || kind === KEY_ALIAS) {
      return dir.keyEnabled(k) ? keyAnswer(dir, k, 1) : undefined;
    }
    if (kind !== KEY_LIST) return undefined;
    const list = dir.keyTarget(k);
    let joined = this.#listSenders.get(list);
    if (joined === undefined) this.#listSenders.set(list, (joined = dir.listAt(list).senders.join(',')));
    return joined === '' ? undefined : joined;
  }

  /** The answer for an exact alias or list key ref (no extension to carry over). */
  keyTargets(k: number): Answer {
    const dir = this.#dir;
    if (dir.keyKind(k) === KEY_ALIAS) return this.keyReceives(k) ? keyAnswer(dir, k, 1) : undefined;
    const list = dir.keyTarget(k);
    let joined = this.#listAnswers.get(list);
    if (joined === undefined) this.#listAnswers.set(list, (joined = this.#targets(k).join(',')));
    return joined === '' ? undefined : joined;
  }

  /** Targets of an alias or list key; a list's are resolved once per snapshot. */
  #targets(k: number): string[] {
    const dir = this.#dir;
    const target = dir.keyTarget(k);
    if (dir.keyKind(k) === KEY_ALIAS) return this.#receives(target) ? [dir.mailboxAddress(target)] : [];
    let members = this.#listTargets.get(target);
    if (members === undefined) {
      // Members that are disabled mailboxes of ours are left out; everything else is passed on.
      members = dir.listAt(target).members.filter((m) => {
        const ref = dir.loginRef(m);
        return ref < 0 || dir.mailboxAddress(ref) !== m || this.#receives(ref);
      });
      this.#listTargets.set(target, members);
    }
    return members;
  }

  #propagate(targets: readonly string[], suffix: string): string | undefined {
    if (targets.length === 0) return undefined;
    if (suffix === '' || !this.#rules.propagateExtension) return targets.join(',');
    return targets.map((t) => {
      const addr = parseAddress(t);
      if (!addr || !this.#dir.hostedDomain(addr.domain)) return t;
      if (splitExtension(addr.local, this.#rules.recipientDelimiter)) return t;
      const at = t.lastIndexOf('@');
      return `${t.slice(0, at)}${suffix}${t.slice(at)}`;
    }).join(',');
  }

  /** The key without its extension, or undefined when it has none. */
  #baseKey(key: string): string | undefined {
    const delimiters = this.#rules.recipientDelimiter;
    if (delimiters.length === 0) return undefined;
    const at = key.lastIndexOf('@');
    // An empty base (`+foo@`) is not split, as Postfix does not split it either.
    for (let i = 1; i < at; i++) {
      if (delimiters.includes(key[i]!)) return key.slice(0, i) + key.slice(at);
    }
    return undefined;
  }

  /** True when the mailbox a key ref names receives mail (enabled, or disabled ones accepted), read from the key. */
  keyReceives(keyRef: number): boolean {
    return this.#rules.acceptDisabled || this.#dir.keyEnabled(keyRef);
  }

  #receives(mailboxRef: number): boolean {
    return this.#rules.acceptDisabled || this.#dir.enabled(mailboxRef);
  }
}

function splitAnswer(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',');
}
