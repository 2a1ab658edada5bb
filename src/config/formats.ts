import { isAbsolute } from 'node:path';

/** A listening endpoint: TCP `host:port` (default loopback) or an absolute UNIX socket path. */
export type Endpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/**
 * Parses `host:port`, `[v6]:port`, a bare `port` (bound to 127.0.0.1: listeners stay on loopback
 * unless told otherwise) or an absolute socket path.
 */
export function parseEndpoint(raw: string): Endpoint {
  if (isAbsolute(raw)) return { kind: 'unix', path: raw };
  const colon = raw.lastIndexOf(':');
  const hostPart = colon < 0 ? '' : raw.slice(0, colon);
  const portPart = raw.slice(colon + 1);
  const host = hostPart.startsWith('[') && hostPart.endsWith(']') ? hostPart.slice(1, -1) : hostPart;
  const port = /^\d{1,5}$/.test(portPart) ? Number(portPart) : NaN;
  if (!(port <= 65535) || (colon >= 0 && host === '') || /[\s[\]/]/.test(host) || (host.includes(':') && !hostPart.startsWith('['))) {
    throw new Error(`"${raw}" is neither host:port nor an absolute socket path`);
  }
  return { kind: 'tcp', host: host || '127.0.0.1', port };
}

/** Text form of an endpoint, for logs and generated Postfix/Dovecot config. */
export function formatEndpoint(ep: Endpoint): string {
  if (ep.kind === 'unix') return ep.path;
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

/** convict formats shared by the schema files. */
export const CONVICT_FORMATS = {
  'endpoint-list': {
    validate(value: unknown): void {
      if (!Array.isArray(value)) throw new Error('must be a list of host:port or socket paths');
      for (const v of value) {
        if (typeof v !== 'string') throw new Error('each endpoint must be a string');
        parseEndpoint(v);
      }
    },
    // MAILROSTER_SOCKETMAP_LISTEN="127.0.0.1:10027,/run/mailroster/socketmap.sock"
    coerce: (v: unknown): unknown => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  },
  'file-mode': {
    validate(value: unknown): void {
      if (typeof value !== 'string' || !/^0?[0-7]{3}$/.test(value)) throw new Error('must be an octal mode like "0660"');
    },
  },
  'string-list': {
    validate(value: unknown): void {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error('must be a list of strings');
    },
    coerce: (v: unknown): unknown => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  },
} as const;
