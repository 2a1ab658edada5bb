import { hashBytes, HASH_BASIS, lastAtSign, scanDomain, scanKey, type KeyScan } from './key-bytes.js';
import { keyAnswer, SLOW, SUFFIXED, type Answer, type KeyBytesSink } from './answers.js';
import { LAYER_BITS } from './directory-layers.js';
import { KEY_ALIAS, KEY_CATCH_ALL, KEY_LIST, KEY_MAILBOX, type Directory } from './directory.js';
import type { AddressResolver, AddressRules } from './resolve.js';
import { SOCKETMAP_MAX_REPLY_BYTES } from '../../protocol/socketmap.js';

/** Longest `base@domain` (a key with its extension cut out) looked up from the bytes. */
const BASE_MAX = 512;

/**
 * The socketmap answers of one snapshot straight from the request bytes, for keys that already
 * are canonical (what smtpd sends: it casefolds recipients and senders). It walks the same
 * search order as {@link AddressResolver} (full key, key without its extension, `@domain`)
 * without making a string: the key is hashed while it is checked, the key without its extension
 * is assembled in a scratch buffer, and an answer that carries the query's extension
 * ({@link SUFFIXED}) is written from the target's key bytes and the request's. What it cannot
 * decide from bytes (a list with an extension to carry over, an IDN target) is {@link SLOW}.
 */
export class KeyBytesResolver {
  readonly #r: AddressResolver;
  readonly #dir: Directory;
  readonly #rules: AddressRules;
  readonly #scan: KeyScan = { at: 0, domainHash: 0 };
  /** 1 at each byte that is a recipient delimiter; keys are ASCII, so only ASCII ones can occur. */
  readonly #delimiterBytes = new Uint8Array(256);
  /** A non-ASCII delimiter could split a UTF-8 target's local part: those answers take the string path. */
  readonly #asciiDelimiters: boolean;
  readonly #base = Buffer.allocUnsafe(BASE_MAX);
  // The SUFFIXED answer last returned: key ref of the target, and the delimiter+extension bytes.
  #suffixKey = 0;
  #suffixFrom = 0;
  #suffixTo = 0;
  #suffixOf: Buffer = this.#base;

  constructor(resolver: AddressResolver, directory: Directory, rules: AddressRules) {
    this.#r = resolver;
    this.#dir = directory;
    this.#rules = rules;
    for (const c of rules.recipientDelimiter) if (c.charCodeAt(0) < 0x80) this.#delimiterBytes[c.charCodeAt(0)] = 1;
    this.#asciiDelimiters = [...rules.recipientDelimiter].every((c) => c.charCodeAt(0) < 0x80);
  }

  /**
   * The answer of socketmap `map` (0 domain, 1 mailbox, 2 alias, 3 senders) for the key bytes
   * `b[from..to]`: exactly what the string methods give for the same key, or {@link SLOW}.
   * {@link SUFFIXED} is valid until the next call: write it with {@link writeSuffixed}.
   */
  answer(map: number, b: Buffer, from: number, to: number): Answer {
    const dir = this.#dir;
    const scan = this.#scan;
    // A plain lower-case domain is its own normalised form.
    if (map === 0) return scanDomain(b, from, to, HASH_BASIS, scan) < 0 ? SLOW : dir.hostedDomain(b.toString('latin1', from, to));
    const h = scanKey(b, from, to, scan);
    if (h < 0) return SLOW;
    const at = scan.at;
    const k = dir.findKeyBytes(b, from, to, h);
    const kind = k < 0 ? 0 : dir.keyKind(k);
    if (map === 1 && kind === KEY_MAILBOX) return this.#r.keyReceives(k) ? keyAnswer(dir, k, 0) : undefined;
    if (map === 2) {
      if (kind === KEY_MAILBOX) return undefined;
      if (kind === KEY_ALIAS || kind === KEY_LIST) return this.#r.keyTargets(k);
    } else if (map === 3 && k >= 0) {
      const owners = this.#r.keyOwners(k);
      if (owners !== undefined) return owners;
    }
    // Nothing under the exact key: the key without its extension, then the catch-all.
    const d = this.#delimiterAt(b, from, at);
    const base = d < 0 ? -1 : this.#findBase(b, from, d, at, to);
    if (base === -2) return SLOW;
    const baseKind = base < 0 ? 0 : dir.keyKind(base);
    if (map === 1) return baseKind === KEY_MAILBOX && this.#r.keyReceives(base) ? keyAnswer(dir, base, 0) : undefined;
    if (map === 3) {
      const owners = base < 0 ? undefined : this.#r.keyOwners(base);
      if (owners !== undefined) return owners;
      if (kind === KEY_MAILBOX || kind === KEY_LIST) return undefined;
      const c = this.#catchAll(b, at, to);
      return c >= 0 && dir.keyEnabled(c) ? keyAnswer(dir, c, 1) : undefined;
    }
    if (baseKind === KEY_MAILBOX) return undefined;
    if (baseKind === KEY_ALIAS) return this.#r.keyReceives(base) ? this.#extended(base, b, d, at) : undefined;
    if (baseKind === KEY_LIST) return this.#rules.propagateExtension ? SLOW : this.#r.keyTargets(base);
    const c = this.#catchAll(b, at, to);
    if (c < 0 || !this.#r.keyReceives(c)) return undefined;
    return d < 0 ? keyAnswer(dir, c, 1) : this.#extended(c, b, d, at);
  }

  /** Writes the {@link SUFFIXED} answer just returned: the target's address with the extension inserted. */
  writeSuffixed(out: KeyBytesSink): void {
    const k = this.#suffixKey;
    const p = this.#dir.layerIndex(k);
    const own = p.replyKey(k >>> LAYER_BITS);
    out.okSuffixed(p.keyBytes, p.keyStart(own), p.keyEnd(own), this.#suffixOf, this.#suffixFrom, this.#suffixTo);
  }

  /**
   * The answer for mailbox key `k` (an alias or catch-all) asked with the extension at `b[d..at]`:
   * Postfix's propagate_unmatched_extensions puts it into the target's local part, unless that
   * has an extension of its own.
   */
  #extended(k: number, b: Buffer, d: number, at: number): Answer {
    const dir = this.#dir;
    if (!this.#rules.propagateExtension) return keyAnswer(dir, k, 1);
    const p = dir.layerIndex(k);
    const i = k >>> LAYER_BITS;
    if (!p.targetPlain(i) || !this.#asciiDelimiters) return SLOW;
    const own = p.replyKey(i);
    const bytes = p.keyBytes;
    if (this.#delimiterAt(bytes, p.keyStart(own), lastAtSign(bytes, p.keyStart(own), p.keyEnd(own))) >= 0) return keyAnswer(dir, k, 1);
    // `OK ` and the address with the extension: past Postfix's limit the string path answers TEMP.
    if (3 + p.keyEnd(own) - p.keyStart(own) + at - d > SOCKETMAP_MAX_REPLY_BYTES) return SLOW;
    this.#suffixKey = k;
    this.#suffixOf = b;
    this.#suffixFrom = d;
    this.#suffixTo = at;
    return SUFFIXED;
  }

  /** The live `@domain` catch-all key of key bytes whose '@' is at `at`, or -1. */
  #catchAll(b: Buffer, at: number, to: number): number {
    const c = this.#dir.findKeyBytes(b, at, to, this.#scan.domainHash);
    return c >= 0 && this.#dir.keyKind(c) === KEY_CATCH_ALL ? c : -1;
  }

  /** The key ref of `b[from..d] + b[at..to]` (the key without its extension), -1 for none, -2 when too long. */
  #findBase(b: Buffer, from: number, d: number, at: number, to: number): number {
    const base = this.#base;
    const n = d - from + to - at;
    if (n > BASE_MAX) return -2;
    b.copy(base, 0, from, d);
    b.copy(base, d - from, at, to);
    return this.#dir.findKeyBytes(base, 0, n, hashBytes(base, 0, n));
  }

  /** Where the first recipient delimiter after the first character of `b[from..at]` is, or -1. */
  #delimiterAt(b: Buffer, from: number, at: number): number {
    const delimiters = this.#delimiterBytes;
    for (let i = from + 1; i < at; i++) if (delimiters[b[i]!] === 1) return i;
    return -1;
  }
}
