import { badRequest } from './scim-error.js';
import { EXTENSIONS, URN } from './scim-schemas.js';

/** A SCIM resource as JSON. */
export type Resource = Record<string, unknown>;
/** User or Group. */
export type ResourceKind = 'User' | 'Group';

/** RFC 7643 §4.1 and §4.2 attribute names, by lower case; anything else is ignored on input. */
const CORE: Record<ResourceKind, Map<string, string>> = {
  User: names('userName name displayName nickName profileUrl title userType preferredLanguage locale timezone active emails phoneNumbers ims photos addresses entitlements roles x509Certificates externalId'),
  Group: names('displayName members externalId'),
};
/** Attributes typed here (the rest are kept as sent, if they are JSON strings, objects or lists). */
const STRINGS = new Set(['userName', 'displayName', 'externalId', 'nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'profileUrl']);

function names(list: string): Map<string, string> {
  return new Map(list.split(' ').map((n) => [n.toLowerCase(), n]));
}

/** Server-kept meta of a stored resource. */
export interface StoredMeta {
  readonly resourceType: ResourceKind;
  readonly created: string;
  readonly lastModified: string;
  /** Weak ETag, `W/"<n>"`; n counts the writes of this resource. */
  readonly version: string;
}

/**
 * Checks a client's User or Group body and returns its clean stored form: only known attributes,
 * canonical names, checked types, `id` and `meta` set by the server (a client's are ignored). A
 * cleartext `password` is never kept. Throws a SCIM 400 naming the first problem.
 */
export function normalizeResource(kind: ResourceKind, input: unknown, id: string, meta: StoredMeta): Resource {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw badRequest('invalidSyntax', `a ${kind} must be a JSON object`);
  const body = input as Resource;
  const known = [kind === 'User' ? URN.user : URN.group, ...EXTENSIONS[kind]];
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === 'string')) throw badRequest('invalidSyntax', '"schemas" must be a list of schema URNs');
  const unknown = schemas.find((s) => !known.some((k) => k.toLowerCase() === (s as string).toLowerCase()));
  if (unknown !== undefined) throw badRequest('invalidValue', `schema ${unknown} is not supported for ${kind} (supported: ${known.join(', ')})`);
  if (!schemas.some((s) => (s as string).toLowerCase() === known[0]!.toLowerCase())) throw badRequest('invalidValue', `"schemas" must include ${known[0]}`);
  const out: Resource = { schemas: [known[0]!], id };
  for (const [rawKey, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    if (rawKey.toLowerCase().startsWith('urn:')) {
      const urn = known.slice(1).find((k) => k.toLowerCase() === rawKey.toLowerCase());
      if (!urn) throw badRequest('invalidValue', `extension ${rawKey} is not supported for ${kind}`);
      const ext = extension(urn, value);
      if (Object.keys(ext).length > 0) out[urn] = ext;
      continue;
    }
    const name = CORE[kind].get(rawKey.toLowerCase());
    if (name === undefined) continue;
    out[name] = attribute(kind, name, value);
  }
  if (kind === 'User' && typeof out.userName !== 'string') throw badRequest('invalidValue', 'userName is required');
  if (kind === 'Group' && typeof out.displayName !== 'string') throw badRequest('invalidValue', 'displayName is required');
  for (const urn of EXTENSIONS[kind]) if (out[urn] !== undefined) (out.schemas as string[]).push(urn);
  out.meta = meta;
  return out;
}

function attribute(kind: ResourceKind, name: string, value: unknown): unknown {
  const fail = (what: string): never => { throw badRequest('invalidValue', `${kind}.${name} must be ${what}`); };
  if (STRINGS.has(name)) {
    if (typeof value !== 'string' || (name === 'userName' && value.trim() === '') || (name === 'displayName' && kind === 'Group' && value.trim() === '')) return fail('a non-empty string');
    return (value as string).trim();
  }
  switch (name) {
    case 'active': {
      // Entra ID has sent "True"/"False" strings.
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      return fail('true or false');
    }
    case 'emails':
      return multi(value, fail, (e) => {
        if (typeof e.value !== 'string') fail('a list of {value, type, primary}');
        if (e.primary !== undefined && typeof e.primary !== 'boolean' && !/^(true|false)$/i.test(String(e.primary))) fail('a list whose "primary" is true or false');
        return { value: (e.value as string).trim(), ...(typeof e.type === 'string' && { type: e.type }), ...(String(e.primary).toLowerCase() === 'true' && { primary: true }), ...(typeof e.display === 'string' && { display: e.display }) };
      });
    case 'members':
      return multi(value, fail, (m) => {
        if (typeof m.value !== 'string' || m.value === '') fail('a list of {value: "<id>"}');
        return { value: m.value, ...(typeof m.display === 'string' && { display: m.display }), ...(typeof m.type === 'string' && { type: m.type }) };
      });
    case 'name':
      if (typeof value !== 'object' || Array.isArray(value)) return fail('an object');
      if (Object.values(value as object).some((v) => typeof v !== 'string')) return fail('an object of strings');
      return value;
    default:
      if (typeof value !== 'object' && typeof value !== 'string') return fail('a string, an object or a list');
      return value;
  }
}

function multi(value: unknown, fail: (what: string) => never, each: (item: Resource) => Resource): Resource[] {
  if (!Array.isArray(value)) return fail('a list');
  return value.map((item) => (item !== null && typeof item === 'object' && !Array.isArray(item) ? each(item as Resource) : fail('a list of objects')));
}

/** Checks an extension object: mailroster's own fields are typed, the enterprise one kept as is. */
function extension(urn: string, value: unknown): Resource {
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('invalidValue', `${urn} must be an object`);
  const v = value as Resource;
  const fail = (what: string): never => { throw badRequest('invalidValue', `${urn}:${what}`); };
  if (urn === URN.mailUser) {
    const out: Resource = {};
    if (v.aliases !== undefined && v.aliases !== null) {
      const list = typeof v.aliases === 'string' ? v.aliases.split(/[\s,]+/).filter(Boolean) : v.aliases;
      if (!Array.isArray(list) || list.some((a) => typeof a !== 'string')) fail('aliases must be a list of addresses');
      if ((list as string[]).length > 0) out.aliases = list;
    }
    if (v.quota !== undefined && v.quota !== null && v.quota !== '') {
      if (typeof v.quota !== 'string' && typeof v.quota !== 'number') fail('quota must be a size like 5G or a byte count');
      out.quota = v.quota;
    }
    if (v.passwordHash !== undefined && v.passwordHash !== null && v.passwordHash !== '') {
      if (typeof v.passwordHash !== 'string') fail('passwordHash must be a string');
      out.passwordHash = v.passwordHash;
    }
    return out;
  }
  if (urn === URN.mailGroup) {
    if (v.address !== undefined && v.address !== null && v.address !== '' && typeof v.address !== 'string') fail('address must be an e-mail address');
    return typeof v.address === 'string' && v.address !== '' ? { address: v.address.trim() } : {};
  }
  return v;
}

/** A stored resource as a client sees it: `returned: never` attributes removed, meta.location added. */
export function renderResource(stored: Resource, base: string): Resource {
  const out: Resource = { ...stored };
  const ext = out[URN.mailUser] as Resource | undefined;
  if (ext && 'passwordHash' in ext) {
    const { passwordHash: _hidden, ...rest } = ext;
    if (Object.keys(rest).length > 0) out[URN.mailUser] = rest;
    else {
      delete out[URN.mailUser];
      out.schemas = (out.schemas as string[]).filter((s) => s !== URN.mailUser);
    }
  }
  const meta = stored.meta as StoredMeta;
  out.meta = { ...meta, location: `${base}/${meta.resourceType}s/${stored.id as string}` };
  return out;
}

/** The next meta of a resource written now. */
export function nextMeta(kind: ResourceKind, prior: StoredMeta | undefined, now = new Date().toISOString()): StoredMeta {
  const n = prior ? Number(/\d+/.exec(prior.version)?.[0] ?? 0) + 1 : 1;
  return { resourceType: kind, created: prior?.created ?? now, lastModified: now, version: `W/"${n}"` };
}
