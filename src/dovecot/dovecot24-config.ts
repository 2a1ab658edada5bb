import type { AppConfig } from '../config/config.js';
import { parseEndpoint } from '../config/formats.js';
import { ConfigError } from '../errors.js';
import { UserdbFieldBuilder } from '../lookup/userdb-fields.js';
import { MAILROSTER_VERSION } from './auth-lua.js';

/** File names inside a `dovecot-config --out DIR` folder. */
export const OUT_FILES = {
  conf: 'mailroster.conf',
  lua: 'mailroster-auth.lua',
  secret: 'auth-secret',
  dictAuthExt: 'dovecot-dict-auth.conf.ext',
  /** 2.4's introspection URL with the webmail client's credentials (oauth2 { introspection_url = <file }). */
  oauth2Secret: 'oauth2-introspection-url',
} as const;

/** Where the 2.4 files are assumed to live when printed without --out. */
export const DEFAULT_DOVECOT24_DIR = '/etc/dovecot/mailroster';

/**
 * The URL Dovecot's Lua reaches the auth endpoint at: `auth.listen`, a wildcard host replaced by
 * loopback (Dovecot then runs on the same host); `override` (e.g. http://mailroster:10028 across
 * containers) wins.
 */
export function authEndpointUrl(config: AppConfig, override?: string): string {
  if (override !== undefined && override !== '') {
    if (!/^https?:\/\/[^/]+$/.test(override)) throw new ConfigError(`--auth-url "${override}" must be http://host:port with no path`);
    return override;
  }
  if (config.auth.listen === '') throw new ConfigError('auth.listen is empty: the Dovecot 2.4 Lua bridge has no endpoint to call (set auth.listen, e.g. 127.0.0.1:10028)');
  const ep = parseEndpoint(config.auth.listen);
  if (ep.kind !== 'tcp') throw new ConfigError('auth.listen must be host:port');
  const host = ep.host === '0.0.0.0' || ep.host === '' ? '127.0.0.1' : ep.host === '::' ? '::1' : ep.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${ep.port}`;
}

/**
 * `mailroster.conf` for Dovecot 2.4, to `!include` from dovecot.conf: a Lua passdb and userdb
 * running the script in `dir`. The passdb only serves password mechanisms, so OAuth tokens never
 * reach it (and fail2ban's jail never sees a token as a wrong password). `userdbExtra` lines go
 * into the userdb block (e.g. a `fields { }` override).
 */
export function renderDovecot24Conf(config: AppConfig, dir: string, url: string, userdbExtra: readonly string[] = []): string {
  // Refuse here, not at the first lookup, a mail template 2.4 cannot express.
  new UserdbFieldBuilder(config.dict.userdb, '2.4');
  const settings = [
    '  lua_settings {',
    `    url = ${url}`,
    `    secret_file = ${dir}/${OUT_FILES.secret}`,
    '    request_timeout = 2s',
    '    request_max_attempts = 2',
    '  }',
  ];
  return [
    `# mailroster ${MAILROSTER_VERSION}: Dovecot 2.4 passdb/userdb through the Lua bridge (${dir}/${OUT_FILES.lua}).`,
    '# !include this file from dovecot.conf; remove other passdb/userdb blocks it replaces.',
    '# auth_mechanisms must offer plain and login; auth_cache_size > 0 turns the auth cache on.',
    'passdb lua {',
    `  lua_file = ${dir}/${OUT_FILES.lua}`,
    '  # Password logins only: OAuth tokens (xoauth2, oauthbearer) go to their own passdb.',
    '  mechanisms_filter = plain login',
    ...settings,
    '}',
    'userdb lua {',
    `  lua_file = ${dir}/${OUT_FILES.lua}`,
    ...settings,
    ...userdbExtra,
    '}',
    '',
  ].join('\n');
}
