import { lookupKey, normalizeDomain, parseAddress, splitExtension } from './address.js';
import { HASH_BASIS, scanDomain, scanKey, type KeyScan } from './key-bytes.js';
import { answerValue, keyAnswer, mailboxAnswer, SLOW, type Answer } from './answers.js';
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
  readonly #scan: KeyScan = { at: 0, domainHash: 0 };
  /** 1 at each byte that is a recipient delimiter (ASCII ones; others only match on the string path). */
  readonly #delimiterBytes = new Uint8Array(256);

  constructor(directory: Directory, rules: AddressRules) {
    this.#dir = directory;
    this.#rules = rules;
    for (const c of rules.recipientDelimiter) if (c.charCodeAt(0) < 0x80) this.#delimiterBytes[c.charCodeAt(0)] = 1;
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
      if (kind === KEY_ALIAS || kind === KEY_LIST) return this.#exactTargets(k);
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
    const full = k >= 0 ? this.#owners(k) : undefined;
    if (full) return full;
    const base = this.#baseKey(key);
    const b = base === undefined ? -1 : dir.findKey(base);
    const owners = b >= 0 ? this.#owners(b) : undefined;
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

  /**
   * The answer of socketmap `map` (0 domain, 1 mailbox, 2 alias, 3 senders) for the raw key bytes
   * `b[from..to]`, when they are a canonical key and the answer needs no extension or catch-all
   * (hits, and misses of keys without either: a dictionary attack); {@link SLOW} otherwise. Gives
   * exactly what the string methods give for the same key.
   */
  answerBytes(map: number, b: Buffer, from: number, to: number): Answer {
    const dir = this.#dir;
    const scan = this.#scan;
    // A plain lower-case domain is its own normalised form.
    if (map === 0) return scanDomain(b, from, to, HASH_BASIS, scan) < 0 ? SLOW : dir.hostedDomain(b.toString('latin1', from, to));
    const h = scanKey(b, from, to, scan);
    if (h < 0) return SLOW;
    const k = dir.findKeyBytes(b, from, to, h);
    const kind = k < 0 ? 0 : dir.keyKind(k);
    if (map === 1) {
      if (kind === KEY_MAILBOX) return this.#keyReceives(k) ? keyAnswer(dir, k, 0) : undefined;
      return this.#hasDelimiter(b, from, scan.at) ? SLOW : undefined;
    }
    if (map === 2) {
      if (kind === KEY_MAILBOX) return undefined;
      if (kind === KEY_ALIAS || kind === KEY_LIST) return this.#exactTargets(k);
    } else {
      const owners = k < 0 ? undefined : this.#owners(k);
      if (owners !== undefined) return owners;
    }
    // Nothing under the exact key: the key without its extension, or the catch-all, may answer.
    if (this.#hasDelimiter(b, from, scan.at)) return SLOW;
    if (map === 3 && (kind === KEY_MAILBOX || kind === KEY_LIST)) return undefined;
    return dir.findKeyBytes(b, scan.at, to, scan.domainHash) >= 0 ? SLOW : undefined;
  }

  /** True when the local part `b[from..at]` has a recipient delimiter after its first character. */
  #hasDelimiter(b: Buffer, from: number, at: number): boolean {
    const delimiters = this.#delimiterBytes;
    for (let i = from + 1; i < at; i++) if (delimiters[b[i]!] === 1) return true;
    return false;
  }

  /** The logins of the mailbox, alias or list a key names; undefined when nobody may send as it. */
  #owners(k: number): Answer {
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

  /** The answer for an exact alias or list key (no extension to carry over). */
  #exactTargets(k: number): Answer {
    const dir = this.#dir;
    if (dir.keyKind(k) === KEY_ALIAS) return this.#keyReceives(k) ? keyAnswer(dir, k, 1) : undefined;
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

  /** {@link #receives} of the mailbox a key names, read from the key itself. */
  #keyReceives(keyRef: number): boolean {
    return this.#rules.acceptDisabled || this.#dir.keyEnabled(keyRef);
  }

  #receives(mailboxRef: number): boolean {
    return this.#rules.acceptDisabled || this.#dir.enabled(mailboxRef);
  }
}

function splitAnswer(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',');
}
