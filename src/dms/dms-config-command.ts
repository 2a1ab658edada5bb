import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readSecret, type AppConfig } from '../config/config.js';
import { EXAMPLE_DIRECTORY } from '../config/schema-provider.js';
import { OUT_FILES } from '../dovecot/dovecot24-config.js';
import { ConfigError } from '../errors.js';
import { CONTAINER, renderCompose, renderContainerConfig, renderDockerfile } from './dms-container.js';
import { renderDmsDovecot, type DmsDovecotInputs, type DmsFile } from './dms-dovecot.js';
import { DMS_HTTP_PORT, DMS_SUBFOLDER, dmsLayout, type DmsLayout } from './dms-layout.js';
import { renderDmsPostfixMain } from './dms-postfix.js';
import { PLACEHOLDER_DOMAIN } from './import-dms.js';
import { renderDmsUserPatches } from './dms-user-patches.js';

/** The options `mailroster dms-config` takes, in node:util parseArgs form (merged into the CLI's). */
export const DMS_CONFIG_OPTIONS = {
  dms: { type: 'string' },
  out: { type: 'string' },
  transport: { type: 'string' },
  'keep-dms-aliases': { type: 'boolean' },
  container: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

/**
 * The placeholder account DMS's FILE provisioner needs (with no account it stops the container).
 * Its domain is reserved (RFC 2606), Postfix never hosts it (domains come from mailroster), and
 * user-patches.sh removes the passwd-file it would log in through; its hash matches no password.
 */
export const PLACEHOLDER_ACCOUNTS = `# mailroster: DMS's FILE provisioner stops the container without an account, so here is one
# that can neither log in (user-patches.sh empties DMS's passwd-file) nor receive mail (Postfix
# asks mailroster, which does not host ${PLACEHOLDER_DOMAIN}). Real users live in mailroster.
placeholder@${PLACEHOLDER_DOMAIN}|{SHA512-CRYPT}!
`;

/** Where `--container` puts DMS's config folder (compose mounts it at /tmp/docker-mailserver). */
const DMS_CONFIG_DIR = 'docker-data/dms/config';

/** Files the user may have edited: written only when absent or unchanged, unless --force. */
const USER_OWNED = new Set(['user-patches.sh', 'postfix-accounts.cf', 'mailroster/etc/directory.yaml']);

/** Every file DMS needs in its config folder (`docker-data/dms/config/`), paths relative to it. */
export function renderDmsFiles(inputs: DmsDovecotInputs): DmsFile[] {
  const { layout } = inputs;
  return [
    { path: 'postfix-main.cf', text: renderDmsPostfixMain(layout) },
    ...renderDmsDovecot(inputs),
    { path: 'user-patches.sh', text: renderDmsUserPatches(layout), mode: 0o755 },
    { path: 'postfix-accounts.cf', text: PLACEHOLDER_ACCOUNTS },
  ];
}

/** The container recipe: compose.yaml, mailroster's Dockerfile and config, DMS's config folder. */
function containerFiles(inputs: DmsDovecotInputs): DmsFile[] {
  const { layout, secret } = inputs;
  const config = { storeUrl: 'redis://redis:6379/0', httpListen: `127.0.0.1:${DMS_HTTP_PORT}`, directoryFile: CONTAINER.directoryFile };
  return [
    { path: 'compose.yaml', text: renderCompose(layout) },
    { path: 'mailroster/Dockerfile', text: renderDockerfile() },
    { path: 'mailroster/etc/config.yaml', text: renderContainerConfig(layout, config) },
    { path: 'mailroster/etc/directory.yaml', text: readFileSync(EXAMPLE_DIRECTORY, 'utf8') },
    // Mounted at CONTAINER.authSecretFile; mailroster's user (CONTAINER.uid) must be able to read it.
    ...(layout.version === 'edge' ? [{ path: 'mailroster/etc/auth-secret', text: `${secret}\n`, mode: 0o600 }] : []),
    ...renderDmsFiles(inputs).map((f) => ({ ...f, path: `${DMS_CONFIG_DIR}/${f.path}` })),
  ];
}

/**
 * The auth endpoint secret for edge: the one already in DIR (re-running must not break a running
 * pair), else the configured one (auth.secret / auth.secretFile), else a new random one.
 */
function authSecret(config: AppConfig, out: string, container: boolean): string {
  const existing = join(out, container ? DMS_CONFIG_DIR : '', DMS_SUBFOLDER, OUT_FILES.secret);
  if (existsSync(existing)) return readFileSync(existing, 'utf8').trim();
  return readSecret(config.auth.secret, config.auth.secretFile, 'auth.secretFile') || randomBytes(32).toString('hex');
}

/**
 * `mailroster dms-config --dms 15|edge --out DIR [--transport unix|tcp] [--keep-dms-aliases]
 * [--container] [--force]`: writes the files and lists them on stdout. Exit 0 written, 1 when an
 * edited user-owned file was left alone.
 */
export async function dmsConfigCommand(config: AppConfig, flags: Readonly<Record<string, unknown>>): Promise<number> {
  const out = flags.out;
  if (typeof out !== 'string' || out === '') throw new ConfigError('dms-config needs --out DIR');
  const layout = dmsLayout(flags.dms, {
    ...(flags.transport !== undefined ? { transport: flags.transport as DmsLayout['transport'] } : {}),
    keepDmsAliases: flags['keep-dms-aliases'] === true,
  });
  const container = flags.container === true;
  const inputs = { layout, config, ...(layout.version === 'edge' ? { secret: authSecret(config, out, container) } : {}) };
  const files = container ? containerFiles(inputs) : renderDmsFiles(inputs);
  const kept = files.filter((f) => USER_OWNED.has(f.path.replace(`${DMS_CONFIG_DIR}/`, '')) && differs(join(out, f.path), f.text));
  if (kept.length > 0 && flags.force !== true) {
    process.stderr.write(`mailroster dms-config: not overwriting ${kept.map((f) => join(out, f.path)).join(', ')} (edited or yours; merge by hand, or --force)\n`);
  }
  for (const f of files) {
    if (flags.force !== true && kept.includes(f)) continue;
    const path = join(out, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.text);
    chmodSync(path, f.mode ?? 0o644);
    process.stdout.write(`${path}\n`);
  }
  return kept.length > 0 && flags.force !== true ? 1 : 0;
}

function differs(path: string, text: string): boolean {
  return existsSync(path) && readFileSync(path, 'utf8') !== text;
}
