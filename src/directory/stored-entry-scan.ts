import { HASH_BASIS, sameAscii, scanDomain, scanKey, type KeyScan } from './key-bytes.js';

/**
 * Reads the keys of a stored entry (the JSON a leader wrote to Redis) straight from its bytes,
 * when those bytes are exactly what the build would write for it again: the canonical layout
 * JSON.stringify gives a built entry (fields in the builder's order, no spaces), every address a
 * canonical key (lower-case ASCII, plain domain), strings without escapes, and no field the build
 * would change or drop. Such an entry needs no parsing and no string per key: the build claims its
 * keys from the bytes and keeps the bytes as its canonical JSON. Anything else (passwords, an IDN
 * or upper-case address, `"enabled":true`, an empty alias list, a list with senders, odd spacing)
 * answers false, and the caller parses the entry and builds it as it builds any other.
 */

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const OPEN_ADDRESS = ascii('{"address":"');
const ID = ascii(',"id":"');
const ALIASES = ascii(',"aliases":[');
const QUOTA = ascii(',"quotaBytes":');
const DISABLED = ascii(',"enabled":false');
const MEMBERS = ascii(',"members":[');
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const BACKSLASH = 0x5c;
const AT = 0x40;
/** Scratch for list members, whose keys are only checked. */
const MEMBER: KeyScan = { at: 0, domainHash: 0 };
/** Digits of a quota JSON.stringify writes as it was stored: up to 15 stay below 2^53. */
const MAX_DIGITS = 15;

/** Where the keys of one stored entry are; one instance is reused for every entry of a build. */
export class EntryScan implements KeyScan {
  /** The entry's own key (its address) is bytes `from..to` with this hash; '@' is at `at`. */
  from = 0;
  to = 0;
  hash = 0;
  at = 0;
  /** Hash of the own key's `@domain`. */
  domainHash = 0;
  /** False for a mailbox stored with `"enabled":false`. */
  enabled = true;
  /** Number of aliases; alias j is bytes `aliasFrom[j]..aliasTo[j]` (its '@' at `aliasAt[j]`; a catch-all starts with it). */
  aliases = 0;
  aliasFrom = new Int32Array(8);
  aliasTo = new Int32Array(8);
  aliasAt = new Int32Array(8);
  /** Hash of alias j's key, and of its `@domain` (the same for a catch-all, whose key that is). */
  aliasHash = new Int32Array(8);
  aliasDomainHash = new Int32Array(8);
  readonly #key: KeyScan = { at: 0, domainHash: 0 };

  /** Records one more alias (the key of `b[from..to]`, or its catch-all); false if it is not canonical. */
  addAlias(b: Uint8Array, from: number, to: number): boolean {
    const catchAll = b[from] === AT;
    const h = catchAll ? scanDomain(b, from + 1, to, HASH_BASIS, this.#key) : scanKey(b, from, to, this.#key);
    if (h < 0) return false;
    if (this.aliases === this.aliasFrom.length) this.#grow();
    const j = this.aliases++;
    this.aliasFrom[j] = from;
    this.aliasTo[j] = to;
    this.aliasAt[j] = catchAll ? from : this.#key.at;
    this.aliasHash[j] = catchAll ? this.#key.domainHash : h;
    this.aliasDomainHash[j] = this.#key.domainHash;
    return true;
  }

  #grow(): void {
    for (const name of ['aliasFrom', 'aliasTo', 'aliasAt', 'aliasHash', 'aliasDomainHash'] as const) {
      const grown = new Int32Array(2 * this[name].length);
      grown.set(this[name]);
      this[name] = grown;
    }
  }
}

/**
 * Scans a stored mailbox, `{"address":…[,"id":…][,"aliases":[…]][,"quotaBytes":…][,"enabled":false]}`;
 * true when its bytes are canonical (see above) and `s` holds its keys.
 */
export function scanStoredMailbox(b: Uint8Array, s: EntryScan): boolean {
  let p = ownKey(b, s);
  if (p < 0) return false;
  s.aliases = 0;
  let q = literal(b, p, ALIASES);
  if (q >= 0) {
    p = addresses(b, q, s);
    if (p < 0) return false;
  }
  q = literal(b, p, QUOTA);
  if (q >= 0 && (p = digits(b, q)) < 0) return false;
  q = literal(b, p, DISABLED);
  s.enabled = q < 0;
  if (q >= 0) p = q;
  return p === b.length - 1 && b[p] === CLOSE_BRACE;
}

/** Scans a stored list without senders, `{"address":…[,"id":…],"members":[…]}`; true when canonical. */
export function scanStoredList(b: Uint8Array, s: EntryScan): boolean {
  let p = ownKey(b, s);
  if (p < 0 || (p = literal(b, p, MEMBERS)) < 0) return false;
  p = addresses(b, p, undefined);
  return p === b.length - 1 && b[p] === CLOSE_BRACE;
}

/** The address and the optional id; returns the offset after them, or -1. */
function ownKey(b: Uint8Array, s: EntryScan): number {
  let p = literal(b, 0, OPEN_ADDRESS);
  if (p < 0) return -1;
  const end = b.indexOf(QUOTE, p);
  if (end < 0 || (s.hash = scanKey(b, p, end, s)) < 0) return -1;
  s.from = p;
  s.to = end;
  p = end + 1;
  const id = literal(b, p, ID);
  if (id < 0) return p;
  // Printable ASCII without escapes: JSON.stringify(String(id)) writes these bytes again.
  for (p = id; p < b.length && b[p] !== QUOTE; p++) if (b[p]! < 0x20 || b[p]! > 0x7e || b[p] === BACKSLASH) return -1;
  return p < b.length ? p + 1 : -1;
}

/**
 * A non-empty array of canonical addresses, after its '['; aliases (catch-alls allowed) are
 * recorded in `s`, members only checked. Returns the offset after the ']', or -1.
 */
function addresses(b: Uint8Array, p: number, s: EntryScan | undefined): number {
  for (;;) {
    if (b[p] !== QUOTE) return -1;
    const end = b.indexOf(QUOTE, p + 1);
    if (end < 0 || !(s ? s.addAlias(b, p + 1, end) : scanKey(b, p + 1, end, MEMBER) >= 0)) return -1;
    p = end + 1;
    if (b[p] === CLOSE_BRACKET) return p + 1;
    if (b[p++] !== COMMA) return -1;
  }
}

/** A whole number as JSON.stringify writes it (no leading zero, sign, fraction or exponent); the offset after it, or -1. */
function digits(b: Uint8Array, p: number): number {
  const start = p;
  while (p < b.length && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
  if (p === start || p - start > MAX_DIGITS || (b[start] === 0x30 && p - start > 1)) return -1;
  return p;
}

/** The offset after `lit` if `b` holds it at `p`, else -1. */
function literal(b: Uint8Array, p: number, lit: Uint8Array): number {
  if (p + lit.length > b.length) return -1;
  for (let i = 0; i < lit.length; i++) if (b[p + i] !== lit[i]) return -1;
  return p + lit.length;
}

/**
 * The domain names of one build, each made once from bytes: every stored key of a domain names
 * it by the hash of its `@domain` and gets the same string back.
 */
export class DomainNames {
  readonly #byHash = new Map<number, string>();

  /** The (ASCII) domain in `b[from..to]`, whose `@domain` hashes to `h`. */
  name(b: Buffer, from: number, to: number, h: number): string {
    const known = this.#byHash.get(h);
    if (known !== undefined && sameAscii(known, b, from, to)) return known;
    const made = b.toString('latin1', from, to);
    if (known === undefined) this.#byHash.set(h, made);
    return made;
  }
}
