/**
 * Reading custom attributes, whose shape differs by provider: Keycloak keeps every attribute as a
 * list of strings (`{"mailAlias": ["a@x", "b@x"]}`), Authentik keeps free JSON (a string, a list,
 * a boolean or a number). These helpers accept both.
 */

/** Every string value of an attribute; a string with commas or spaces is split (`"a@x, b@x"`). */
export function attrList(attributes: Readonly<Record<string, unknown>> | undefined, key: string): string[] {
  const raw = attributes?.[key];
  const items = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') continue;
    for (const part of String(item).split(/[\s,]+/)) if (part !== '') out.push(part);
  }
  return out;
}

/** The first value of an attribute (a one-element Keycloak list or an Authentik scalar). */
export function attrScalar(attributes: Readonly<Record<string, unknown>> | undefined, key: string): unknown {
  const raw = attributes?.[key];
  return Array.isArray(raw) ? raw[0] : raw;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * An on/off attribute: absent means `fallback`; booleans and true/false/yes/no/on/off/1/0 (any
 * case) are understood; anything else is undefined, which the caller reports.
 */
export function attrFlag(attributes: Readonly<Record<string, unknown>> | undefined, key: string, fallback: boolean): boolean | undefined {
  const v = attrScalar(attributes, key);
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
}

export { isPasswordHash } from '../directory/passwords.js';

/**
 * Every password hash in an attribute: a list, or one string holding hashes separated by
 * whitespace. Never split on commas: argon2 hashes contain them (`m=65536,t=3,p=1`).
 */
export function attrHashes(attributes: Readonly<Record<string, unknown>> | undefined, key: string): unknown[] {
  const raw = attributes?.[key];
  if (raw === undefined || raw === null || raw === '') return [];
  if (Array.isArray(raw)) return raw;
  return typeof raw === 'string' ? raw.split(/\s+/).filter((h) => h !== '') : [raw];
}
