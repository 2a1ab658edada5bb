import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { readSecret, type AppConfig } from '../config/config.js';
import { dictSocketPath, dovecot23Auth, renderDovecotConfig } from '../dovecot-config.js';
import { introspectionUrlWithCredentials, oauth2Settings, renderOauth2Block24 } from '../dovecot-oauth2.js';
import { ConfigError } from '../errors.js';
import { renderAuthLua } from './auth-lua.js';
import { authEndpointUrl, DEFAULT_DOVECOT24_DIR, OUT_FILES, renderDovecot24Conf } from './dovecot24-config.js';

/** `dovecot-config` flags (merged into the CLI's parseArgs options). */
export const DOVECOT_CONFIG_OPTIONS = {
  dovecot: { type: 'string' },
  out: { type: 'string' },
  'auth-url': { type: 'string' },
  'dovecot-dir': { type: 'string' },
  'idle-msecs': { type: 'string' },
  oauth2: { type: 'boolean' },
} as const;

/** One file to write: name inside DIR, text, mode. */
interface OutFile {
  readonly name: string;
  readonly text: string;
  readonly mode: number;
}

/** Every file Dovecot `version` needs, with paths as they will be inside `dir`. */
export function dovecotFiles(config: AppConfig, version: '2.3' | '2.4', dir: string, options: { authUrl?: string; idleMsecs?: number; oauth2?: boolean } = {}): OutFile[] {
  const bearer = options.oauth2 ? oauth2Settings(config) : undefined;
  if (version === '2.3') {
    const auth = dovecot23Auth(dictSocketPath(config), join(dir, OUT_FILES.dictAuthExt), {
      hashSlots: config.dict.passdb.hashSlots, ...(options.idleMsecs !== undefined && { idleMsecs: options.idleMsecs }), ...(bearer && { oauth2: bearer }),
    });
    return [
      { name: OUT_FILES.conf, text: `# mailroster: Dovecot 2.3 passdb/userdb through the dict proxy protocol. !include this file.\n${auth.blocks}`, mode: 0o644 },
      ...auth.files.map((f) => ({ name: relative(dir, f.path), text: f.content, mode: f.mode })),
    ];
  }
  const authUrl = options.authUrl;
  const secret = readSecret(config.auth.secret, config.auth.secretFile, 'auth.secretFile');
  if (secret === '') throw new ConfigError('auth.secret (or auth.secretFile) is empty: the Lua bridge must present it');
  return [
    { name: OUT_FILES.conf, text: renderDovecot24Conf(config, dir, authEndpointUrl(config, authUrl)) + (bearer ? renderOauth2Block24(bearer, join(dir, OUT_FILES.oauth2Secret)) : ''), mode: 0o644 },
    // No newline at the end: Dovecot's `<file` keeps it, and a URL may not hold one.
    ...(bearer ? [{ name: OUT_FILES.oauth2Secret, text: introspectionUrlWithCredentials(bearer), mode: 0o600 }] : []),
    { name: OUT_FILES.lua, text: renderAuthLua(), mode: 0o644 },
    // Read by Dovecot's auth-worker processes, which run as root.
    { name: OUT_FILES.secret, text: `${secret}\n`, mode: 0o600 },
  ];
}

/**
 * `mailroster dovecot-config [EXT] [--dovecot 2.3|2.4] [--out DIR] [--auth-url URL] [--dovecot-dir PATH] [--idle-msecs N]`.
 * With --out every file goes into DIR (the secret at mode 0600) and stdout names them; the files
 * name each other by PATH (default DIR: a container may mount DIR elsewhere). Without --out the
 * config is printed, never a secret. `--idle-msecs` (2.3) keeps dict connections between lookups.
 * Returns the exit code.
 */
export function dovecotConfigCommand(config: AppConfig, args: readonly string[], flags: Readonly<Record<string, unknown>>, write: (s: string) => void): number {
  const version = (flags.dovecot as string | undefined) ?? '2.3';
  if (version !== '2.3' && version !== '2.4') throw new ConfigError(`--dovecot ${version}: expected 2.3 or 2.4`);
  const authUrl = flags['auth-url'] as string | undefined;
  const out = flags.out as string | undefined;
  if (out === undefined) {
    if (version === '2.3') return (write(renderDovecotConfig(config, args[0], { oauth2: flags.oauth2 === true })), 0);
    const dir = DEFAULT_DOVECOT24_DIR;
    const bearer = flags.oauth2 === true ? oauth2Settings(config) : undefined;
    write([
      `# ---- ${dir}/${OUT_FILES.conf}  (the script and the secret files: use --out ${dir})`,
      renderDovecot24Conf(config, dir, authEndpointUrl(config, authUrl)) + (bearer ? renderOauth2Block24(bearer, join(dir, OUT_FILES.oauth2Secret)) : ''),
    ].join('\n'));
    return 0;
  }
  const dir = resolve(out);
  const seenBy = (flags['dovecot-dir'] as string | undefined) ?? dir;
  if (!isAbsolute(seenBy)) throw new ConfigError(`--dovecot-dir ${seenBy}: must be an absolute path`);
  const idle = flags['idle-msecs'] as string | undefined;
  if (idle !== undefined && !/^[1-9]\d*$/.test(idle)) throw new ConfigError(`--idle-msecs ${idle}: expected a positive number of milliseconds`);
  const files = dovecotFiles(config, version, seenBy, { authUrl, idleMsecs: idle === undefined ? undefined : Number(idle), oauth2: flags.oauth2 === true });
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const path = join(dir, f.name);
    writeFileSync(path, f.text, { mode: f.mode });
    // The mode option only applies to a new file; an existing one keeps its old mode otherwise.
    chmodSync(path, f.mode);
  }
  write(`${files.map((f) => `wrote ${join(dir, f.name)}`).join('\n')}\nadd to dovecot.conf: !include ${join(seenBy, OUT_FILES.conf)}\n`);
  return 0;
}
