import type { AppConfig } from './config/config.js';
import { parseEndpoint } from './config/formats.js';
import { ConfigError } from './errors.js';

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

/** The passdb and userdb blocks for dovecot.conf (or conf.d/10-auth.conf). */
export function renderDovecotAuthBlocks(extPath: string): string {
  return [
    'passdb {',
    '  driver = dict',
    `  args = ${extPath}`,
    '  # Password logins only: OAuth tokens (xoauth2, oauthbearer) go to their own passdb.',
    '  mechanisms = plain login',
    '}',
    'userdb {',
    '  driver = dict',
    `  args = ${extPath}`,
    '}',
    '',
  ].join('\n');
}

/**
 * The dict-auth args file. Dovecot prepends `shared/` to every key, so `userdb/%u` is looked up as
 * `shared/userdb/<user>`, the key space mailroster answers.
 */
export function renderDictAuthExt(socketPath: string, options: { idleMsecs?: number } = {}): string {
  // idle_msecs keeps the connection between lookups; by default Dovecot reconnects for each one.
  const idle = options.idleMsecs ? `idle_msecs=${options.idleMsecs}:` : '';
  return [
    `uri = proxy:${idle}${socketPath}:${DICT_NAME}`,
    '# Hashes carry their {SCHEME} prefix; bare crypt(3) hashes ($6$, $2y$) also verify as CRYPT.',
    'default_pass_scheme = CRYPT',
    '# doveadm user \'*\' and doveadm -A list every mailbox that receives mail.',
    'iterate_prefix = userdb/',
    '',
    'key passdb {',
    '  key = passdb/%u',
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

/** What `mailroster dovecot-config [EXT_PATH]` prints: both files, each under a header. */
export function renderDovecotConfig(config: AppConfig, extPath = DEFAULT_DICT_AUTH_EXT): string {
  const socket = dictSocketPath(config);
  return [
    '# mailroster: Dovecot 2.3 passdb/userdb through the dict proxy protocol.',
    '# Dovecot 2.4 removed the dict passdb/userdb driver: use `dovecot-config --dovecot 2.4 --out DIR`.',
    '#',
    '# ---- dovecot.conf (or conf.d/10-auth.conf; remove other passdb/userdb blocks you replace)',
    renderDovecotAuthBlocks(extPath),
    `# ---- ${extPath}`,
    `# To keep one connection between lookups: uri = proxy:idle_msecs=60000:${socket}:${DICT_NAME}`,
    renderDictAuthExt(socket),
  ].join('\n');
}
