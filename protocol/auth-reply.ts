import { ProtocolError } from './protocol-error.js';

/**
 * mailroster's auth reply format (version 1), read by the Lua script Dovecot 2.4 runs. Dovecot's
 * Lua has no JSON module, so the format is lines that `string.gmatch` splits:
 *
 *     MAILROSTER/1 <RESULT>\n
 *     <key>=<value>\n        (zero or more; a key may repeat, e.g. `password`)
 *     .\n                    (end marker: a reply without it was cut short)
 *
 * Keys are `[a-z0-9_]+`. Values are UTF-8 with `%`, every byte below 0x20 and 0x7F written as
 * `%XX` (upper-case hex), so no value can hold a line break; Lua decodes them with
 * `v:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)`.
 */
export const AUTH_REPLY_VERSION = 1;

/** The words a reply's first line may carry after `MAILROSTER/1`. */
export type AuthReplyResult = 'OK' | 'UNKNOWN' | 'DISABLED' | 'TEMPFAIL' | 'DENIED' | 'BAD_REQUEST';

/** One reply: the result word and its fields in order. */
export interface AuthReply {
  readonly result: AuthReplyResult;
  readonly fields: readonly (readonly [key: string, value: string])[];
}

const KEY = /^[a-z0-9_]+$/;
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[%\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const ESCAPED_BYTES = /[%\x00-\x1f\x7f]/g;

/** `%`, control bytes and DEL as `%XX`; everything else as is. */
export function escapeAuthValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED_BYTES, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) : value;
}

/** The reply text. Throws on a key outside `[a-z0-9_]+` (a bug, never user input). */
export function formatAuthReply(reply: AuthReply): string {
  return `${authReplyHead(reply.result)}${formatAuthFields(reply.fields)}${AUTH_REPLY_END}`;
}

/** A reply's first line; {@link formatAuthFields} and {@link AUTH_REPLY_END} follow (a long reply is made in parts). */
export function authReplyHead(result: AuthReplyResult): string {
  return `MAILROSTER/${AUTH_REPLY_VERSION} ${result}\n`;
}

/** The lines of `fields`. Throws on a key outside `[a-z0-9_]+` (a bug, never user input). */
export function formatAuthFields(fields: AuthReply['fields']): string {
  let out = '';
  for (const [key, value] of fields) {
    if (!KEY.test(key)) throw new Error(`auth reply key "${key}" is not [a-z0-9_]+`);
    out += `${key}=${escapeAuthValue(value)}\n`;
  }
  return out;
}

/** The end marker line. */
export const AUTH_REPLY_END = '.\n';

const RESULTS: ReadonlySet<string> = new Set<AuthReplyResult>(['OK', 'UNKNOWN', 'DISABLED', 'TEMPFAIL', 'DENIED', 'BAD_REQUEST']);

/** Parses a whole reply (tests, tools); the same checks the Lua script makes. */
export function parseAuthReply(text: string): AuthReply {
  const lines = text.split('\n');
  const head = /^MAILROSTER\/(\d+) ([A-Z_]+)$/.exec(lines[0] ?? '');
  if (!head) throw new ProtocolError('AUTH_BAD_REPLY', 'reply does not start with MAILROSTER/<version> <RESULT>');
  if (Number(head[1]) !== AUTH_REPLY_VERSION) throw new ProtocolError('AUTH_BAD_REPLY', `reply version ${head[1]}, expected ${AUTH_REPLY_VERSION}`);
  if (!RESULTS.has(head[2]!)) throw new ProtocolError('AUTH_BAD_REPLY', `unknown result ${head[2]}`);
  if (lines.length < 3 || lines.at(-1) !== '' || lines.at(-2) !== '.') throw new ProtocolError('AUTH_BAD_REPLY', 'reply has no end marker');
  const fields: [string, string][] = [];
  for (const line of lines.slice(1, -2)) {
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    if (eq <= 0 || !KEY.test(key)) throw new ProtocolError('AUTH_BAD_REPLY', 'malformed field line');
    fields.push([key, decodeAuthValue(line.slice(eq + 1))]);
  }
  return { result: head[2] as AuthReplyResult, fields };
}

/** Reverses {@link escapeAuthValue}. */
export function decodeAuthValue(value: string): string {
  return value.includes('%') ? value.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) : value;
}
