/**
 * Index keys as bytes: the hash the packed index is built on, and a check that reads a lookup key
 * straight from the request bytes. Postfix sends keys as raw bytes; when they already are a
 * canonical key (lower-case ASCII `local@domain`, plain domain) the hot path hashes and finds them
 * without decoding a string, running a regex or allocating anything.
 */

const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over the bytes `from..to`. Keys are short (an address), so this costs about what V8's own
 * string hash does, and the table can be a flat Int32Array instead of a Map entry per key.
 */
export function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = FNV_BASIS;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h >>> 0;
}

/** The same hash straight from an ASCII string, or -1 if it is not ASCII. */
export function hashAscii(s: string): number {
  let h = FNV_BASIS;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h >>> 0;
}

/** {@link hashBytes} of a string's UTF-8 bytes, encoding them only when it is not ASCII. */
export function hashString(s: string): number {
  const h = hashAscii(s);
  if (h >= 0) return h;
  const bytes = Buffer.from(s, 'utf8');
  return hashBytes(bytes, 0, bytes.length);
}

// Byte classes. A local part takes printable ASCII except upper case and `"<>(),;:\@` (the
// characters parseAddress refuses, and '@'); a plain domain takes lower-case LDH and dots.
const LOCAL = 1;
const LABEL = 2;
const CLASSES = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) if (!(c >= 0x41 && c <= 0x5a) && !'"<>(),;:\\@'.includes(String.fromCharCode(c))) CLASSES[c] = LOCAL;
for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789-') CLASSES[c.charCodeAt(0)]! |= LABEL;

const AT = 0x40;
const DOT = 0x2e;
const HYPHEN = 0x2d;
const MAX_DOMAIN = 253;

/** What {@link scanKey} found besides the key's hash: where '@' is and the hash of `@domain`. */
export interface KeyScan {
  /** Offset of the '@'. */
  at: number;
  /** Hash of the bytes from '@' to the end: the `@domain` catch-all key. */
  domainHash: number;
}

/**
 * The hash of `b[from..to]` if those bytes are a canonical index key, else -1 (the caller then
 * decodes a string and takes the general path). Accepts only byte strings that `lookupKey`
 * returns unchanged, and all of those whose domain is plain: a non-empty local part not starting
 * with '"', one '@', and a lower-case LDH domain of two or more labels and at most 253
 * characters. Fills `scan`.
 */
export function scanKey(b: Uint8Array, from: number, to: number, scan: KeyScan): number {
  let h = FNV_BASIS;
  let i = from;
  if (i >= to || b[i] === 0x22) return -1;
  for (; i < to; i++) {
    const c = b[i]!;
    if (c === AT) break;
    if ((CLASSES[c]! & LOCAL) === 0) return -1;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  if (i === from || i >= to - 1) return -1;
  scan.at = i;
  return scanDomain(b, i + 1, to, Math.imul(h ^ AT, FNV_PRIME), scan);
}

/**
 * Checks that `b[from..to]` is a plain domain (lower-case LDH labels, at least two, 253 bytes at
 * most) and continues hash `h` over it; -1 if it is not plain. Sets `scan.domainHash` to the hash
 * of `@` and the domain.
 */
export function scanDomain(b: Uint8Array, from: number, to: number, h: number, scan: KeyScan): number {
  if (from >= to || to - from > MAX_DOMAIN) return -1;
  let d = Math.imul(FNV_BASIS ^ AT, FNV_PRIME);
  // Labels: start and end with a letter or digit, at least two of them.
  let labels = 0;
  let labelStart = from;
  for (let i = from; i <= to; i++) {
    const c = i < to ? b[i]! : DOT;
    if (c === DOT) {
      if (i === labelStart || b[labelStart] === HYPHEN || b[i - 1] === HYPHEN) return -1;
      labels++;
      labelStart = i + 1;
      if (i === to) break;
    } else if ((CLASSES[c]! & LABEL) === 0) {
      return -1;
    }
    h = Math.imul(h ^ c, FNV_PRIME);
    d = Math.imul(d ^ c, FNV_PRIME);
  }
  if (labels < 2) return -1;
  scan.domainHash = d >>> 0;
  return h >>> 0;
}

/** The hash a key's bytes start from (for {@link scanDomain} on a bare domain). */
export const HASH_BASIS = FNV_BASIS;

/** Offset of the last '@' of the address bytes `b[from..to]` (`from` when there is none). */
export function lastAtSign(b: Uint8Array, from: number, to: number): number {
  let at = to - 1;
  while (at > from && b[at] !== AT) at--;
  return at;
}

/** True when `a[aFrom..aTo]` equals the bytes of `b` from `bFrom` on (the caller checked the lengths). */
export function sameBytes(a: Uint8Array, aFrom: number, aTo: number, b: Uint8Array, bFrom: number): boolean {
  for (let i = aFrom; i < aTo; i++, bFrom++) if (a[i] !== b[bFrom]) return false;
  return true;
}

/** True when string `s` is exactly the ASCII bytes `b[from..to]` (a string with a non-ASCII character never is). */
export function sameAscii(s: string, b: Uint8Array, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[from + i]) return false;
  return true;
}
