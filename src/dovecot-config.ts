import type { AppConfig } from './config/config.js';
import { parseEndpoint } from './config/formats.js';
import { ConfigError } from './errors.js';

/**
 * What mailroster's password passdbs serve: `none` is a lookup without authentication (doveadm
 * auth lookup, proxying), which fails with `plain login` alone; bearer tokens go to OAuth2.
 */
export const PASSWORD_MECHANISMS = 'plain login none';

/** Where `dovecot-config` assumes the args file goes unless told otherwise. */
export const DEFAULT_DICT_AUTH_EXT = '/etc/dovecot/dovecot-dict-auth.conf.ext';
/** The dict name mailroster's generated config sends in HELLO (any name is accepted). */
export const DICT_NAME = 'mailroster';

/** The first UNIX socket in `dict.listen`: Dovecot's dict client speaks UNIX sockets only. */
export function dictSocketPath(config: AppConfig): string {
  const unix = config.dict.listen.map(parseEndpoint).find((ep) => ep.kind === 'unix');
  if (unix?.kind !== 'unix') {
    throw new ConfigError('dict.listen has no UNIX socket path: Dovecot connects to dict servers over UNIX sockets only');
  }
  return unix.path;
}

/** How the 2.3 passdb blocks are written. */
export interface PassdbBlockOptions {
  /** One passdb block per hash a mailbox may hold (dict.passdb.hashSlots); at least 1. */
  readonly hashSlots?: number;
  /** The mechanisms mailroster's passdbs serve; default `plain login none`. */
  readonly mechanisms?: string;
}

/** The args file of passdb slot `n` (2 and up): `x.conf.ext` becomes `x-hash2.conf.ext`. */
export function slotExtPath(extPath: string, n: number): string {
  const m = /^(.*?)((?:\.conf)?\.ext)?$/.exec(extPath)!;
  return `${m[1]}-hash${n}${m[2] ?? ''}`;
}

/**
 * The passdb and userdb blocks for dovecot.conf (or conf.d/10-auth.conf). Dovecot 2.3's dict
 * passdb verifies one hash per lookup and, after a mismatch, tries the next passdb: slot 1 covers
 * every app password (its key carries the password's digest) and the first hash, slot N the Nth.
 */
export function renderDovecotAuthBlocks(extPath: string, options: PassdbBlockOptions = {}): string {
  // Password logins (and lookups without authentication: `none`); OAuth tokens go elsewhere.
  const mechanisms = [`  mechanisms = ${options.mechanisms ?? PASSWORD_MECHANISMS}`];
  const passdb = (args: string) => ['passdb {', '  driver = dict', ...mechanisms, `  args = ${args}`, '}'];
  const slots = Math.max(1, options.hashSlots ?? 1);
  return [
    ...passdb(extPath),
    ...Array.from({ length: slots - 1 }, (_, i) => passdb(slotExtPath(extPath, i + 2))).flat(),
    'userdb {',
    '  driver = dict',
    `  args = ${extPath}`,
    '}',
    '',
  ].join('\n');
}

/**
 * The dict-auth args file. Dovecot prepends `shared/` to every key, so `userdb/%u` is looked up as
 * `shared/userdb/<user>`, the key space mailroster answers. The passdb key ends in the SHA-256 of
 * the password the client typed (`%{sha256:password}`, hex): mailroster finds the app password it
 * belongs to without ever seeing the password, and Dovecot still verifies the hash it gets back.
 */
export function renderDictAuthExt(socketPath: string, options: { idleMsecs?: number } = {}): string {
  return [
    ...uriLines(socketPath, options),
    '# doveadm user \'*\' and doveadm -A list every mailbox that receives mail.',
    'iterate_prefix = userdb/',
    '',
    'key passdb {',
    '  key = passdb/%u/%{sha256:password}',
    '  format = json',
    '}',
    'key userdb {',
    '  key = userdb/%u',
    '  format = json',
    '}',
    'passdb_objects = passdb',
    'userdb_objects = userdb',
    '',
  ].join('\n');
}

/** The args file of passdb slot `n`: the mailbox's nth password hash. */
export function renderDictSlotExt(socketPath: string, n: number, options: { idleMsecs?: number } = {}): string {
  return [...uriLines(socketPath, options), 'key passdb {', `  key = passdb/%u/hash${n}`, '  format = json', '}', 'passdb_objects = passdb', ''].join('\n');
}

function uriLines(socketPath: string, options: { idleMsecs?: number }): string[] {
  // idle_msecs keeps the connection between lookups; by default Dovecot reconnects for each one.
  const idle = options.idleMsecs ? `idle_msecs=${options.idleMsecs}:` : '';
  return [
    `uri = proxy:${idle}${socketPath}:${DICT_NAME}`,
    '# Hashes carry their {SCHEME} prefix; bare crypt(3) hashes ($6$, $2y$) also verify as CRYPT.',
    'default_pass_scheme = CRYPT',
  ];
}

/** What `mailroster dovecot-config [EXT_PATH]` prints: both files, each under a header. */
export function renderDovecotConfig(config: AppConfig, extPath = DEFAULT_DICT_AUTH_EXT): string {
  const socket = dictSocketPath(config);
  return [
    '# mailroster: Dovecot 2.3 passdb/userdb through the dict proxy protocol.',
    '# Dovecot 2.4 removed the dict passdb/userdb driver: use `dovecot-config --dovecot 2.4 --out DIR`.',
    '#',
    '# ---- dovecot.conf (or conf.d/10-auth.conf; remove other passdb/userdb blocks you replace)',
    renderDovecotAuthBlocks(extPath, { hashSlots: config.dict.passdb.hashSlots }),
    `# ---- ${extPath}`,
    `# To keep one connection between lookups: uri = proxy:idle_msecs=60000:${socket}:${DICT_NAME}`,
    renderDictAuthExt(socket),
    ...Array.from({ length: config.dict.passdb.hashSlots - 1 }, (_, i) => [`# ---- ${slotExtPath(extPath, i + 2)}`, renderDictSlotExt(socket, i + 2)]).flat(),
  ].join('\n');
}
