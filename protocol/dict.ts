import { joinDictFields, splitDictFields } from './dict-escape.js';
import { ProtocolError } from './protocol-error.js';

/**
 * Client command characters (dict-client.h, enum dict_protocol_cmd). The first parameter follows
 * the character with no separator; the rest are TAB-separated, each field tab-escaped.
 */
export const enum DictCommandChar {
  Hello = 'H', // H<major>\t<minor>\t<value_type>\t<user>\t<dict_name>   (never answered)
  Lookup = 'L', // L<key>\t<user>                       major 2: L<key>
  Iterate = 'I', // I<flags>\t<max_rows>\t<path>\t<user>  major 2: I<flags>\t<max_rows>\t<path>...
  Begin = 'B', // B<id>\t<user>[\t<expire_secs>]         major 2: B<id>; major 4 adds expire_secs
  Set = 'S', // S<id>\t<key>\t<value>
  Unset = 'U', // U<id>\t<key>
  AtomicInc = 'A', // A<id>\t<key>\t<diff>
  Timestamp = 'T', // T<id>\t<secs>\t<nsecs>
  HideLogValues = 'V', // V<id>\tyes|no                 (2.3.21+)
  Commit = 'C', // C<id>
  CommitAsync = 'D', // D<id>                           (removed in 2.4)
  Rollback = 'R', // R<id>
}

/** Iterate flags (dict.h enum dict_iterate_flags). */
export const enum DictIterateFlag {
  Recurse = 0x01, // list the whole subtree, not only direct children of the path
  SortByKey = 0x02,
  SortByValue = 0x04,
  NoValue = 0x08, // rows carry an empty value
  ExactKey = 0x10, // the path is a whole key, not a prefix
  Async = 0x20, // client-internal
}

/** Protocol majors we accept: 2 (Dovecot <= 2.3.16), 3 (2.3.17 - 2.3.21), 4 (2.4). */
export const DICT_SUPPORTED_MAJORS: readonly number[] = [2, 3, 4];

/** The HELLO line that opens every dict connection. */
export interface DictHello {
  readonly major: number;
  readonly minor: number;
  /** 0 = string, 1 = uint32 (Dovecot 2.4 always sends 0 and ignores it). */
  readonly valueType: number;
  /** The `<dict name>` from the client's URI (`proxy:/path:NAME`). */
  readonly dictName: string;
}

/** Every command after HELLO. `user` is '' when the client sent none (major 2, doveadm). */
export type DictCommand =
  | { readonly cmd: DictCommandChar.Lookup; readonly key: string; readonly user: string }
  | { readonly cmd: DictCommandChar.Iterate; readonly flags: number; readonly maxRows: number; readonly paths: readonly string[]; readonly user: string }
  | { readonly cmd: DictCommandChar.Begin; readonly id: number; readonly user: string; readonly expireSecs?: number }
  | { readonly cmd: DictCommandChar.Set; readonly id: number; readonly key: string; readonly value: string }
  | { readonly cmd: DictCommandChar.Unset; readonly id: number; readonly key: string }
  | { readonly cmd: DictCommandChar.AtomicInc; readonly id: number; readonly key: string; readonly diff: number }
  | { readonly cmd: DictCommandChar.Timestamp; readonly id: number; readonly secs: number; readonly nsecs: number }
  | { readonly cmd: DictCommandChar.HideLogValues; readonly id: number; readonly hide: boolean }
  | { readonly cmd: DictCommandChar.Commit | DictCommandChar.CommitAsync | DictCommandChar.Rollback; readonly id: number };

/** Parses the HELLO line; throws `DICT_BAD_HANDSHAKE` for anything else or an unknown major. */
export function parseDictHello(line: string): DictHello {
  if (line[0] !== DictCommandChar.Hello) {
    throw new ProtocolError('DICT_BAD_HANDSHAKE', `expected HELLO, got command ${describeChar(line)}`);
  }
  // Dovecot's server drops a handshake with fewer than 5 fields; so do we.
  const f = splitDictFields(line.slice(1));
  const major = toUint(f[0]);
  const minor = toUint(f[1]);
  const valueType = toUint(f[2]);
  if (f.length < 5 || major === undefined || minor === undefined || valueType === undefined) {
    throw new ProtocolError('DICT_BAD_HANDSHAKE', 'HELLO needs major, minor, value type, user and dict name');
  }
  if (!DICT_SUPPORTED_MAJORS.includes(major)) {
    throw new ProtocolError('DICT_BAD_HANDSHAKE', `unsupported dict protocol major version ${major}`);
  }
  return { major, minor, valueType, dictName: f[4]! };
}

/** Parses one command line for protocol `major`; throws {@link ProtocolError} on bad input. */
export function parseDictCommand(line: string, major: number): DictCommand {
  const c = line[0];
  const f = splitDictFields(line.slice(1));
  switch (c) {
    case DictCommandChar.Lookup:
      need(f, 1, c);
      return { cmd: c, key: f[0]!, user: major >= 3 ? (f[1] ?? '') : '' };
    case DictCommandChar.Iterate:
      return parseIterate(f, major);
    case DictCommandChar.Begin:
      return parseBegin(f, major);
    case DictCommandChar.Set:
      need(f, 3, c);
      return { cmd: c, id: uint(f[0], c, 'id'), key: f[1]!, value: f[2]! };
    case DictCommandChar.Unset:
      need(f, 2, c);
      return { cmd: c, id: uint(f[0], c, 'id'), key: f[1]! };
    case DictCommandChar.AtomicInc:
      need(f, 3, c);
      if (!/^-?\d{1,15}$/.test(f[2]!)) throw bad(c, 'diff is not a signed integer');
      return { cmd: c, id: uint(f[0], c, 'id'), key: f[1]!, diff: Number(f[2]) };
    case DictCommandChar.Timestamp:
      need(f, 3, c);
      return { cmd: c, id: uint(f[0], c, 'id'), secs: uint(f[1], c, 'secs'), nsecs: uint(f[2], c, 'nsecs') };
    case DictCommandChar.HideLogValues:
      need(f, 2, c);
      return { cmd: c, id: uint(f[0], c, 'id'), hide: yesNo(f[1]!, c) };
    case DictCommandChar.Commit:
    case DictCommandChar.CommitAsync:
    case DictCommandChar.Rollback:
      need(f, 1, c);
      return { cmd: c, id: uint(f[0], c, 'id') };
    default:
      // Dovecot's server answers "Unknown command X" and drops the connection; HELLO is only valid first.
      throw new ProtocolError('DICT_UNKNOWN_COMMAND', `unknown dict command ${describeChar(line)}`);
  }
}

function parseIterate(f: readonly string[], major: number): DictCommand {
  const c = DictCommandChar.Iterate;
  need(f, 3, c);
  const flags = uint(f[0], c, 'flags');
  const maxRows = uint(f[1], c, 'max_rows');
  // Major 2 sent every path as its own field; major 3 sends one path, then the user.
  if (major < 3) return { cmd: c, flags, maxRows, paths: f.slice(2), user: '' };
  return { cmd: c, flags, maxRows, paths: [f[2]!], user: f[3] ?? '' };
}

function parseBegin(f: readonly string[], major: number): DictCommand {
  const c = DictCommandChar.Begin;
  need(f, 1, c);
  // Major 4 (Dovecot 2.4) appends the transaction's expire_secs.
  const expire = major >= 4 && f[2] !== undefined && f[2] !== '' ? uint(f[2], c, 'expire_secs') : undefined;
  return { cmd: c, id: uint(f[0], c, 'id'), user: major >= 3 ? (f[1] ?? '') : '', ...(expire !== undefined && { expireSecs: expire }) };
}

/** Formats a command line the way Dovecot's client does (tests, benchmarks, the query client). */
export function formatDictCommand(cmd: DictCommand): string {
  const fields = ((): (string | number)[] => {
    switch (cmd.cmd) {
      case DictCommandChar.Lookup: return [cmd.key, cmd.user];
      case DictCommandChar.Iterate: return [cmd.flags, cmd.maxRows, ...cmd.paths, cmd.user];
      case DictCommandChar.Begin: return cmd.expireSecs === undefined ? [cmd.id, cmd.user] : [cmd.id, cmd.user, cmd.expireSecs];
      case DictCommandChar.Set: return [cmd.id, cmd.key, cmd.value];
      case DictCommandChar.Unset: return [cmd.id, cmd.key];
      case DictCommandChar.AtomicInc: return [cmd.id, cmd.key, cmd.diff];
      case DictCommandChar.Timestamp: return [cmd.id, cmd.secs, cmd.nsecs];
      case DictCommandChar.HideLogValues: return [cmd.id, cmd.hide ? 'yes' : 'no'];
      default: return [cmd.id];
    }
  })();
  return `${cmd.cmd}${joinDictFields(fields.map(String))}\n`;
}

/** Formats a HELLO line (`H3\t2\t0\t\tNAME` is what Dovecot 2.3.19 sends). */
export function formatDictHello(hello: DictHello): string {
  return `${DictCommandChar.Hello}${joinDictFields([String(hello.major), String(hello.minor), String(hello.valueType), '', hello.dictName])}\n`;
}

function need(fields: readonly string[], count: number, c: string): void {
  if (fields.length < count) throw bad(c, `needs at least ${count} field(s), got ${fields.length}`);
}

function uint(field: string | undefined, c: string, what: string): number {
  const n = toUint(field);
  if (n === undefined) throw bad(c, `${what} is not an unsigned integer`);
  return n;
}

function toUint(field: string | undefined): number | undefined {
  if (field === undefined || !/^\d{1,15}$/.test(field)) return undefined;
  return Number(field);
}

function yesNo(field: string, c: string): boolean {
  // The Dovecot server accepts yes/y/1 and no (dict-commands.c cmd_hide_log_values).
  if (['yes', 'y', '1'].includes(field)) return true;
  if (['no', 'n', '0'].includes(field)) return false;
  throw bad(c, 'value is neither yes nor no');
}

function bad(c: string, reason: string): ProtocolError {
  return new ProtocolError('DICT_BAD_COMMAND', `dict command ${c}: ${reason}`);
}

/** Names the command character for a log line without echoing the rest (it may hold values). */
function describeChar(line: string): string {
  if (line === '') return '(empty line)';
  const c = line.codePointAt(0)!;
  return c >= 0x21 && c <= 0x7e ? `"${line[0]}"` : `U+${c.toString(16).padStart(4, '0')}`;
}
