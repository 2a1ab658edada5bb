import type { AppConfig } from './config/config.js';
import { parseEndpoint } from './config/formats.js';
import { ConfigError } from './errors.js';
import { OAUTH2_MECHANISMS, PASSWORD_MECHANISMS, oauth2Settings, renderOauth2Blocks23, renderOauth2CheckExt23, renderOauth2Ext23, type OAuth2Settings } from './dovecot-oauth2.js';


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

/** One file of a generated Dovecot configuration. */
export interface DovecotFile {
  readonly path: string;
  readonly content: string;
  /** 0o600 for a file holding a secret. */
  readonly mode: number;
}

/** Everything Dovecot 2.3 needs: the blocks for dovecot.conf and the args files they name. */
export interface Dovecot23Auth {
  readonly blocks: string;
  readonly files: readonly DovecotFile[];
}

/** Options of {@link dovecot23Auth}. */
export interface Dovecot23Options {
  readonly hashSlots: number;
  readonly idleMsecs?: number;
  /** Also let webmail log in with bearer tokens (`dovecot-config --oauth2`). */
  readonly oauth2?: OAuth2Settings;
}

/**
 * The 2.3 passdb/userdb configuration. With OAuth2, the bearer mechanisms go to mailroster's
 * account check and Dovecot's oauth2 passdb, the password passdbs keep `plain login`, and
 * `auth_mechanisms` gains the two mechanisms (docker-mailserver #3812: an oauth2 passdb that
 * also sees password logins logs a failure for each, which trips Fail2Ban).
 */
export function dovecot23Auth(socket: string, extPath: string, options: Dovecot23Options): Dovecot23Auth {
  const file = (path: string, content: string, mode = 0o644): DovecotFile => ({ path, content, mode });
  const files = [
    file(extPath, renderDictAuthExt(socket, options)),
    ...Array.from({ length: options.hashSlots - 1 }, (_, i) => file(slotExtPath(extPath, i + 2), renderDictSlotExt(socket, i + 2, options))),
  ];
  if (!options.oauth2) return { blocks: renderDovecotAuthBlocks(extPath, { hashSlots: options.hashSlots }), files };
  const checkExt = siblingPath(extPath, 'dovecot-dict-oauth2.conf.ext');
  const oauth2Ext = siblingPath(extPath, 'dovecot-oauth2.conf.ext');
  files.push(file(checkExt, renderOauth2CheckExt23(uriLines(socket, options))), file(oauth2Ext, renderOauth2Ext23(options.oauth2), 0o600));
  return {
    blocks: [
      `auth_mechanisms = $auth_mechanisms ${OAUTH2_MECHANISMS}`,
      renderOauth2Blocks23(checkExt, oauth2Ext),
      renderDovecotAuthBlocks(extPath, { hashSlots: options.hashSlots, mechanisms: PASSWORD_MECHANISMS }),
    ].join('\n'),
    files,
  };
}

/** A file next to `path`. */
function siblingPath(path: string, name: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? name : `${path.slice(0, slash + 1)}${name}`;
}

/** What `mailroster dovecot-config [EXT_PATH] [--oauth2]` prints: every piece under a header. */
export function renderDovecotConfig(config: AppConfig, extPath = DEFAULT_DICT_AUTH_EXT, options: { oauth2?: boolean } = {}): string {
  const socket = dictSocketPath(config);
  const auth = dovecot23Auth(socket, extPath, { hashSlots: config.dict.passdb.hashSlots, ...(options.oauth2 && { oauth2: oauth2Settings(config) }) });
  return [
    '# mailroster: Dovecot 2.3 passdb/userdb through the dict proxy protocol.',
    '# Dovecot 2.4 removed the dict passdb/userdb driver: use `dovecot-config --dovecot 2.4 --out DIR`.',
    '#',
    '# ---- dovecot.conf (or conf.d/10-auth.conf; remove other passdb/userdb blocks you replace)',
    auth.blocks,
    `# To keep one connection between lookups: uri = proxy:idle_msecs=60000:${socket}:${DICT_NAME}`,
    ...auth.files.flatMap((f) => [`# ---- ${f.path}${f.mode === 0o600 ? ' (mode 0600: holds the client secret)' : ''}`, f.content]),
  ].join('\n');
}
