import { ProtocolError } from './protocol-error.js';

/**
 * Postfix refuses a socketmap reply payload above 100000 bytes ("input exceeds size limit",
 * DICT_SOCKMAP_DEF_MAX_REPLY in dict_sockmap.c); exactly 100000 is accepted.
 */
export const SOCKETMAP_MAX_REPLY_BYTES = 100_000;

/** Postfix logs at most 200 characters of a reason; longer ones only cost bytes. */
const MAX_REASON_CHARS = 200;

/** One socketmap query: `NAME SP KEY`, split at the first space only. */
export interface SocketmapRequest {
  /** The map name after the last ':' of Postfix's `socketmap:...:NAME`. */
  readonly name: string;
  /** The key exactly as Postfix sent it; it may hold spaces, quotes and several '@'. */
  readonly key: string;
}

/** A reply status word; Postfix compares it case-sensitively. */
export type SocketmapStatus = 'OK' | 'NOTFOUND' | 'TEMP' | 'TIMEOUT' | 'PERM';

/** A reply before framing. */
export type SocketmapReply =
  | { readonly status: 'OK'; readonly data: string }
  | { readonly status: 'NOTFOUND' }
  | { readonly status: 'TEMP' | 'TIMEOUT' | 'PERM'; readonly reason: string };

const SPACE = 0x20;

/**
 * Where the map name of a request payload ends (its first space), for servers that read the key
 * from the bytes themselves. Throws {@link ProtocolError} unless the payload is `NAME KEY`.
 */
export function socketmapNameEnd(payload: Buffer): number {
  // Names are short: a loop over the first bytes beats a native indexOf call.
  let space = -1;
  for (let i = 0; i < payload.length && i < 32; i++) if (payload[i] === SPACE) { space = i; break; }
  if (space < 0 && payload.length > 32) space = payload.indexOf(SPACE, 32);
  if (space <= 0) throw new ProtocolError('SOCKETMAP_BAD_REQUEST', 'socketmap request is not "NAME KEY"');
  return space;
}

/** Parses one netstring payload as a socketmap request. */
export function parseSocketmapRequest(payload: Buffer): SocketmapRequest {
  const space = socketmapNameEnd(payload);
  // Postfix writes keys as raw bytes; invalid UTF-8 decodes to U+FFFD and simply matches nothing.
  return { name: payload.toString('latin1', 0, space), key: payload.toString('utf8', space + 1) };
}

/**
 * Renders a reply payload. Reasons are made printable and short. An `OK` whose payload would pass
 * Postfix's limit turns into `TEMP`: a truncated answer would silently drop recipients.
 * `oversize` is set when that happened, so the caller can log it.
 */
export function formatSocketmapReply(reply: SocketmapReply): { payload: string; oversize: boolean } {
  switch (reply.status) {
    case 'OK': {
      const payload = `OK ${reply.data}`;
      if (Buffer.byteLength(payload, 'utf8') > SOCKETMAP_MAX_REPLY_BYTES) {
        return { payload: 'TEMP reply exceeds the 100000-byte socketmap limit', oversize: true };
      }
      return { payload, oversize: false };
    }
    case 'NOTFOUND':
      // socketmap_table(5) spells it with the trailing space.
      return { payload: 'NOTFOUND ', oversize: false };
    default:
      return { payload: `${reply.status} ${printableReason(reply.reason)}`, oversize: false };
  }
}

/** Parses a reply payload (used by the lookup client and tests). */
export function parseSocketmapReply(payload: string): SocketmapReply {
  const space = payload.indexOf(' ');
  const word = space < 0 ? payload : payload.slice(0, space);
  const rest = space < 0 ? '' : payload.slice(space + 1);
  switch (word) {
    case 'OK':
      // Postfix treats "OK" without a space as not found.
      return space < 0 ? { status: 'NOTFOUND' } : { status: 'OK', data: rest };
    case 'NOTFOUND':
      return { status: 'NOTFOUND' };
    case 'TIMEOUT':
    case 'PERM':
    case 'TEMP':
      return { status: word, reason: rest };
    default:
      return { status: 'TEMP', reason: `unknown reply ${word}` };
  }
}

function printableReason(reason: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = reason.replace(/[\x00-\x1f\x7f]+/g, ' ');
  return flat.length > MAX_REASON_CHARS ? flat.slice(0, MAX_REASON_CHARS) : flat;
}
