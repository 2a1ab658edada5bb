import { domainToASCII } from 'node:url';

/** Lower-case LDH labels, at least two, 253 characters at most. */
const PLAIN_DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/** An address split and normalised for matching: lower case, domain in ASCII (punycode) form. */
export interface ParsedAddress {
  /** Local part, lower case, extension included. */
  readonly local: string;
  /** Domain in lower-case ASCII form (`xn--...` for IDN), the form every index uses. */
  readonly domain: string;
}

/**
 * Normalises a domain for matching: lower case, IDN to punycode, so `exämple.com` and
 * `xn--exmple-cua.com` meet. Returns undefined for anything that is not a plain host name
 * (`[1.2.3.4]` literals, `*`, empty labels), which lookups answer as "not found", never TEMP.
 */
export function normalizeDomain(raw: string): string | undefined {
  const lower = raw.toLowerCase();
  // Fast path for the common case, a plain ASCII host name: no IDN conversion needed.
  if (PLAIN_DOMAIN.test(lower)) return lower;
  if (raw.length === 0 || raw.length > 253 || raw.startsWith('[')) return undefined;
  const trimmed = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (!/^[^\s*"@/\\:]+$/u.test(trimmed)) return undefined;
  const ascii = domainToASCII(trimmed);
  if (ascii === '' || !ascii.includes('.') || ascii.split('.').some((label) => label.length === 0)) {
    return undefined;
  }
  return ascii;
}

/**
 * Parses `local@domain`. Keys that Postfix may send but no directory entry can hold answer
 * undefined: quoted local parts, several '@', whitespace, a bare domain, an `[ip]` literal.
 */
export function parseAddress(raw: string): ParsedAddress | undefined {
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at !== raw.indexOf('@')) return undefined;
  const local = raw.slice(0, at);
  if (local.startsWith('"') || /[\s"<>(),;:\\]/u.test(local)) return undefined;
  const domain = normalizeDomain(raw.slice(at + 1));
  if (domain === undefined) return undefined;
  return { local: local.toLowerCase(), domain };
}

/** The domain part of an address (after the last '@'), lower case, as written (not converted to ASCII). */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** The plain-domain test anchored at `lastIndex`, so a key's domain is checked without slicing it out. */
const PLAIN_DOMAIN_AT = new RegExp(PLAIN_DOMAIN.source.slice(1), 'y');

/**
 * The index key of a raw lookup key, or undefined when no entry can have it: the same answer as
 * `addressKey(parseAddress(raw))`. The common case, an address already in lower-case ASCII with a
 * plain domain, is checked in one pass and returns `raw` itself, allocating nothing.
 */
export function lookupKey(raw: string): string | undefined {
  const at = raw.indexOf('@');
  if (at > 0 && isPlainLocal(raw, at) && isPlainDomainAt(raw, at + 1)) return raw;
  const parsed = parseAddress(raw);
  return parsed && addressKey(parsed);
}

/** 1 for each ASCII character a plain local part may hold: printable, not upper case, none of `"<>(),;:\@`. */
const PLAIN_LOCAL = new Uint8Array(128).map((_, c) => Number(c > 0x20 && c < 0x7f && !(c >= 0x41 && c <= 0x5a) && !'"<>(),;:\\@'.includes(String.fromCharCode(c))));

/** True when `raw[0..at]` is a local part parseAddress keeps as it is (lower case, nothing it refuses). */
function isPlainLocal(raw: string, at: number): boolean {
  for (let i = 0; i < at; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 0x80 || PLAIN_LOCAL[c] === 0) return false;
  }
  return true;
}

/**
 * The last domain found plain: a directory's addresses share a handful of domains, so most keys
 * of a build end in the one before and skip the regex.
 */
let lastPlainDomain = '';

/** True when `raw[from..]` is a plain lower-case domain, its own normalised form. */
function isPlainDomainAt(raw: string, from: number): boolean {
  if (raw.length - from === lastPlainDomain.length && lastPlainDomain !== '' && raw.endsWith(lastPlainDomain)) return true;
  PLAIN_DOMAIN_AT.lastIndex = from;
  if (!PLAIN_DOMAIN_AT.test(raw)) return false;
  lastPlainDomain = raw.slice(from);
  return true;
}

/** The index key of a parsed address. */
export function addressKey(address: ParsedAddress): string {
  return `${address.local}@${address.domain}`;
}

/**
 * Splits `user+ext` at the first character found in `delimiters`, like Postfix's
 * recipient_delimiter (several characters mean "any of them"). Returns undefined when there is
 * no extension to strip; an empty base (`+foo`) is not split, as Postfix does not split it either.
 */
export function splitExtension(
  local: string,
  delimiters: string,
): { base: string; delimiter: string; extension: string } | undefined {
  if (delimiters.length === 0) return undefined;
  for (let i = 1; i < local.length; i++) {
    if (delimiters.includes(local[i]!)) {
      return { base: local.slice(0, i), delimiter: local[i]!, extension: local.slice(i + 1) };
    }
  }
  return undefined;
}
