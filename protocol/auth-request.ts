import { ProtocolError } from './protocol-error.js';

/**
 * Request paths of mailroster's auth endpoint (version 1), as the Lua script sends them:
 *
 *     GET /v1/passdb/<login>     passdb: the hashes to verify a password against
 *     GET /v1/userdb/<user>      userdb fields
 *     GET /v1/users              every user a userdb lookup finds (auth_userdb_iterate)
 *
 * `<login>` / `<user>` is the name percent-encoded as one path segment (any byte may be encoded;
 * `/` must be). The name's bytes need not be UTF-8: Dovecot passes whatever the client typed.
 */
export type AuthRequest =
  | { readonly kind: 'passdb' | 'userdb'; readonly name: string; readonly utf8: boolean }
  | { readonly kind: 'users' };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a request path (query string already removed): undefined for a path that is none of
 * ours; throws ProtocolError for one of ours with a malformed name.
 */
export function parseAuthRequestPath(path: string): AuthRequest | undefined {
  if (path === '/v1/users') return { kind: 'users' };
  const m = /^\/v1\/(passdb|userdb)\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  const bytes = percentDecode(m[2]!);
  try {
    return { kind: m[1] as 'passdb' | 'userdb', name: UTF8.decode(bytes), utf8: true };
  } catch {
    // No directory entry can have this name; the caller answers "unknown", never a failure.
    return { kind: m[1] as 'passdb' | 'userdb', name: bytes.toString('latin1'), utf8: false };
  }
}

/** Percent-decodes one path segment into bytes; a `%` not followed by two hex digits is refused. */
function percentDecode(segment: string): Buffer {
  if (!segment.includes('%')) return Buffer.from(segment, 'utf8');
  const out: number[] = [];
  const raw = Buffer.from(segment, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b !== 0x25) {
      out.push(b);
      continue;
    }
    const hex = raw.subarray(i + 1, i + 3).toString('latin1');
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new ProtocolError('AUTH_BAD_PATH', 'malformed percent-encoding in the name');
    out.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(out);
}
