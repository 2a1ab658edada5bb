import type { DictLookupReply } from '../../protocol/dict-replies.js';
import type { SocketmapReply } from '../../protocol/socketmap.js';
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
