import type { DictLookupReply } from '../../protocol/dict-replies.js';
import { AUTH_REPLY_END, authReplyHead, formatAuthFields, formatAuthReply, type AuthReplyResult } from '../../protocol/auth-reply.js';
import { runSteps, SCAN_STEP, type Steps } from '../directory/build-steps.js';
import type { AuthAnswer } from '../lookup/auth-lookup.js';
import { encodeNetstring } from '../../protocol/netstring.js';
import { formatSocketmapReply, SOCKETMAP_MAX_REPLY_BYTES, type SocketmapReply } from '../../protocol/socketmap.js';
import type { LookupResult } from '../lookup/lookup-result.js';

/**
 * The one place where lookup outcomes become socketmap replies. Anything uncertain is TEMP (Postfix
 * defers or answers 4xx); only a complete directory may say NOTFOUND. An unknown map name is a
 * configuration mistake, so PERM, which Postfix still treats as temporary for SMTP clients.
 */
export function toSocketmapReply(result: LookupResult): SocketmapReply {
  switch (result.kind) {
    case 'found':
      // "OK " with empty data is a configuration error to Postfix; never send it.
      return result.value === '' ? { status: 'NOTFOUND' } : { status: 'OK', data: result.value };
    case 'not-found':
      return { status: 'NOTFOUND' };
    case 'unavailable':
      return { status: 'TEMP', reason: result.reason };
    case 'unknown-map':
      return { status: 'PERM', reason: result.reason };
  }
}

/** The answer to a lookup that threw (a bug, never expected): "try again", never "no such user". */
export const INTERNAL_ERROR_REPLY: SocketmapReply = Object.freeze({ status: 'TEMP', reason: 'internal error' });

/**
 * The one place where lookup outcomes become Dovecot dict replies. Only a complete directory may
 * say N (Dovecot: "user doesn't exist", LMTP 550); anything uncertain, and a key outside our key
 * spaces (a typo in the args file), is F, which Dovecot treats as a temporary failure.
 */
export function toDictReply(result: LookupResult): DictLookupReply {
  switch (result.kind) {
    case 'found':
      return { kind: 'ok', value: result.value };
    case 'not-found':
      return { kind: 'not-found' };
    case 'unavailable':
    case 'unknown-map':
      return { kind: 'fail', reason: result.reason };
  }
}

/** The dict answer to a lookup that threw: a failure, never "not found". */
export const DICT_INTERNAL_ERROR_REPLY: DictLookupReply = Object.freeze({ kind: 'fail', reason: 'internal error' });

/** An auth endpoint reply: HTTP status and body (protocol/auth-reply.ts format). */
export interface AuthHttpReply {
  readonly status: number;
  /** The text, or (a user list) its UTF-8 in parts. */
  readonly body: string | readonly Buffer[];
}

/**
 * The one place where auth endpoint outcomes become HTTP replies for Dovecot 2.4's Lua. 200 only
 * for a decision (OK, UNKNOWN, DISABLED); anything uncertain is 503 TEMPFAIL, which the script
 * (like every non-200 status, a timeout or a refused connection) turns into INTERNAL_FAILURE.
 */
export function toAuthHttpReply(answer: AuthAnswer): AuthHttpReply {
  switch (answer.kind) {
    case 'passdb': {
      const c = answer.candidate;
      // Hashes of a disabled mailbox are sent too: the script verifies first, so only someone who
      // knows the password learns that the account is disabled; everyone else sees a mismatch.
      const hashes = c.hashes.map((h) => ['password', h] as const);
      if (c.disabled) return { status: 200, body: formatAuthReply({ result: 'DISABLED', fields: [['user', c.user], ['reason', answer.disabledReason], ...hashes] }) };
      return { status: 200, body: formatAuthReply({ result: 'OK', fields: [['user', c.user], ...hashes] }) };
    }
    case 'userdb':
      return { status: 200, body: formatAuthReply({ result: 'OK', fields: answer.fields }) };
    case 'users':
      return runSteps(usersReplySteps(answer.users));
    case 'not-found':
      return { status: 200, body: formatAuthReply({ result: 'UNKNOWN', fields: [] }) };
    case 'unavailable':
      return authFailure(503, 'TEMPFAIL', answer.reason);
  }
}

/**
 * The reply listing `users`, in steps (build-steps.ts): a million users are 27 MB of lines, half
 * a second to format in one turn. Made as UTF-8 parts, one a step.
 */
export function* usersReplySteps(users: readonly string[]): Steps<AuthHttpReply> {
  const parts = [Buffer.from(authReplyHead('OK'))];
  for (let from = 0; from < users.length; from += SCAN_STEP) {
    parts.push(Buffer.from(formatAuthFields(users.slice(from, from + SCAN_STEP).map((u) => ['user', u] as const))));
    yield;
  }
  parts.push(Buffer.from(AUTH_REPLY_END));
  return { status: 200, body: parts };
}

/** A refusal or failure with a reason line; never echoes what the client sent. */
export function authFailure(status: number, result: AuthReplyResult, reason: string): AuthHttpReply & { readonly body: string } {
  return { status, body: formatAuthReply({ result, fields: [['reason', reason]] }) };
}

/** The auth endpoint answer to a request that threw (a bug): try again, never "unknown". */
export const AUTH_INTERNAL_ERROR_REPLY: AuthHttpReply = Object.freeze(authFailure(503, 'TEMPFAIL', 'internal error'));
/** The framed answer to a lookup that threw. */
export const INTERNAL_ERROR_FRAME: Buffer = encodeNetstring(formatSocketmapReply(INTERNAL_ERROR_REPLY).payload);

/** The framed NOTFOUND, shared. */
export const NOTFOUND_FRAME: Buffer = encodeNetstring(formatSocketmapReply({ status: 'NOTFOUND' }).payload);

/** The frame of an answer that passes Postfix's reply limit only as TEMP (logged by the connection). */
export const OVERSIZE_FRAME: Buffer = encodeNetstring(formatSocketmapReply({ status: 'OK', data: 'x'.repeat(SOCKETMAP_MAX_REPLY_BYTES) }).payload);

/** Frames a found value (`OK value`); OVERSIZE_FRAME when it would pass the limit. */
export function foundFrame(value: string): Buffer {
  const { payload, oversize } = formatSocketmapReply({ status: 'OK', data: value });
  return oversize ? OVERSIZE_FRAME : encodeNetstring(payload);
}

/** Frames any lookup result, through {@link toSocketmapReply}. */
export function socketmapFrame(result: LookupResult): Buffer {
  if (result.kind === 'found') return result.value === '' ? NOTFOUND_FRAME : foundFrame(result.value);
  return encodeNetstring(formatSocketmapReply(toSocketmapReply(result)).payload);
}
