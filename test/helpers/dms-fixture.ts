import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { containerConfig } from '../../src/dms/dms-container.js';
import { renderDmsFiles } from '../../src/dms/dms-config-command.js';
import { dmsLayout, type DmsLayout, type DmsVersion } from '../../src/dms/dms-layout.js';
import { VMAIL_UID } from './dovecot-instance.js';
import { testConfig } from './service.js';
import { tempDir } from './temp.js';

const run = promisify(execFile);

/**
 * A copy of the parts of a docker-mailserver container that mailroster touches, under one temp
 * folder: DMS's config folder with the files `dms-config` generates, the shared socket volume,
 * the mail root, DMS's Postfix tables and Dovecot conf.d. Every path is the layout's, so the
 * generated files point at this copy instead of /etc and /var.
 */
export interface DmsFixture {
  readonly root: string;
  readonly layout: DmsLayout;
  /** DMS's config folder (docker-data/dms/config), as written by dms-config. */
  readonly config: string;
  /** mailroster's config for this layout (sockets and modes from the container recipe). */
  readonly mailrosterConfig: Record<string, unknown>;
  /** A generated file's text. */
  file(path: string): string;
  remove(): void;
}

/** The directory the DMS tests serve: a mailbox with an alias and a quota, one without, a list. */
export const DMS_TEST_DIRECTORY = `
domains: [example.com]
mailboxes:
  - address: alice@example.com
    aliases: [postmaster@example.com]
    passwordHash: "{PLAIN}alice-pw"
    quota: 1G
  - address: bob@example.com
    passwordHash: "{PLAIN}bob-pw"
lists:
  - address: team@example.com
    members: [alice@example.com, bob@example.com]
    senders: [bob@example.com]
`;

// DMS's passwd-file: the placeholder (given a known password here, to prove it cannot log in).
export const DMS_TEST_USERDB = 'placeholder@placeholder.invalid:{PLAIN}placeholder-pw:5000:5000::/nonexistent::\n';

/** The auth endpoint secret the edge fixtures share between mailroster and the Lua script. */
export const AUTH_SECRET = 'dms-test-secret-0123456789abcdef';

/** Options of {@link dmsFixture}. */
export interface DmsFixtureOptions {
  readonly keepDmsAliases?: boolean;
  /** Build the tree in this folder (e.g. one a Dovecot 2.4 root sees); it is left for its owner to remove. */
  readonly root?: string;
  /** edge: the loopback port of mailroster's auth endpoint. */
  readonly authPort?: number;
}

/** Writes the generated files into a fresh DMS-like tree. */
export function dmsFixture(version: DmsVersion, options: DmsFixtureOptions = {}): DmsFixture {
  const tmp = options.root === undefined ? tempDir('mailroster-dms-') : { path: options.root, remove: () => undefined };
  const root = tmp.path;
  // Postfix's and Dovecot's unprivileged processes must traverse it, as they do /run and /var.
  chmodSync(root, 0o755);
  const layout = dmsLayout(version, {
    socketDir: join(root, 'run-mailroster'), configDir: join(root, 'dms-config'), mailRoot: join(root, 'mail'),
    authUrl: `http://127.0.0.1:${options.authPort ?? 9}`,
    postfixVirtual: join(root, 'postfix', 'virtual'), dovecotConfD: join(root, 'dovecot', 'conf.d'),
    keepDmsAliases: options.keepDmsAliases ?? false,
  });
  // The Dockerfile creates the socket folder 0755, owned by mailroster's user.
  mkdirSync(layout.socketDir, { mode: 0o755 });
  mkdirSync(layout.mailRoot);
  chownSync(layout.mailRoot, VMAIL_UID, VMAIL_UID);
  for (const f of renderDmsFiles({ layout, config: testConfig(), secret: AUTH_SECRET })) {
    const path = join(layout.configDir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.text, { mode: f.mode ?? 0o644 });
  }
  const secretFile = join(root, 'auth-secret');
  writeFileSync(secretFile, `${AUTH_SECRET}\n`, { mode: 0o600 });
  const { socketmap, dict, auth } = containerConfig(layout, {
    storeUrl: 'memory:', httpListen: '', directoryFile: '', authListen: `127.0.0.1:${options.authPort ?? 9}`, authSecretFile: secretFile,
  });
  return {
    root, layout, config: layout.configDir,
    mailrosterConfig: { socketmap, dict, ...(auth ? { auth } : {}) },
    file: (path) => readFileSync(join(layout.configDir, path), 'utf8'),
    remove: () => tmp.remove(),
  };
}

/** Applies postfix-main.cf as DMS's `__postfix__setup_override_configuration` does: append, then `postconf -n`. */
export async function applyDmsPostfixMain(configDir: string, postfixMain: string): Promise<void> {
  const main = join(configDir, 'main.cf');
  appendFileSync(main, postfixMain);
  const { stdout } = await run('postconf', ['-c', configDir, '-n']);
  writeFileSync(`${main}.new`, stdout);
  renameSync(`${main}.new`, main);
}

/**
 * DMS's main.cf settings that decide who gets mail and who may send (target/postfix/main.cf and
 * its startup scripts with ACCOUNT_PROVISIONER=FILE and SPOOF_PROTECTION=1), before postfix-main.cf
 * is applied. Left out: TLS, postscreen, milters, and the two checks that need DNS
 * (reject_unknown_sender_domain, reject_unknown_recipient_domain).
 */
export function dmsPostfixSettings(fx: DmsFixture, lmtpSocket: string, saslSocket: string): Record<string, string> {
  const tables = join(fx.root, 'postfix');
  mkdirSync(tables, { recursive: true });
  // What DMS builds from the placeholder account and postfix-virtual.cf.
  writeFileSync(join(tables, 'vhost'), 'placeholder.invalid\n');
  writeFileSync(join(tables, 'vmailbox'), 'placeholder@placeholder.invalid placeholder.invalid/placeholder/\n');
  writeFileSync(fx.layout.postfixVirtual, 'info@example.com alice@example.com\nfriends@example.com bob@example.com\n');
  return {
    // The test client plays a remote MTA: it must not be in mynetworks.
    mynetworks: '127.0.0.2/32',
    smtpd_helo_required: 'yes',
    recipient_delimiter: '+',
    virtual_mailbox_domains: join(tables, 'vhost'),
    virtual_mailbox_maps: `texthash:${join(tables, 'vmailbox')}`,
    virtual_alias_maps: `texthash:${fx.layout.postfixVirtual}`,
    virtual_transport: `lmtp:unix:${lmtpSocket}`,
    smtpd_sasl_auth_enable: 'no', smtpd_sasl_type: 'dovecot', smtpd_sasl_path: saslSocket,
    smtpd_sasl_security_options: 'noanonymous',
    smtpd_relay_restrictions: 'permit_mynetworks permit_sasl_authenticated defer_unauth_destination',
    smtpd_recipient_restrictions: 'permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination, reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname',
    smtpd_client_restrictions: 'permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
    smtpd_sender_restrictions: '$dms_smtpd_sender_restrictions',
    dms_smtpd_sender_restrictions: 'permit_sasl_authenticated, permit_mynetworks',
    mua_sender_restrictions: 'reject_authenticated_sender_login_mismatch, $dms_smtpd_sender_restrictions',
    // SPOOF_PROTECTION=1 with FILE (spoofing.sh), minus hash:/etc/aliases and the pcre table.
    smtpd_sender_login_maps: `texthash:${fx.layout.postfixVirtual}`,
  };
}

/** DMS's submission service (master.cf), without TLS, on its own loopback port. */
export function dmsSubmission(port: number): string {
  return `127.0.0.1:${port} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_type=dovecot
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_sender_restrictions=$mua_sender_restrictions
`;
}

/** DMS's user-patches.sh step: `/bin/bash /tmp/docker-mailserver/user-patches.sh`. */
export async function runUserPatches(fx: DmsFixture): Promise<{ stdout: string; stderr: string }> {
  return run('/bin/bash', [join(fx.config, 'user-patches.sh')]);
}

/** DMS's dovecot.sh step: `cp /tmp/docker-mailserver/dovecot.cf /etc/dovecot/local.conf`. */
export function copyDovecotCf(fx: DmsFixture, dovecotDir: string): void {
  copyFileSync(join(fx.config, 'dovecot.cf'), join(dovecotDir, 'local.conf'));
}

/**
 * What FILE's change detector does to Dovecot when postfix-accounts.cf changes (accounts.sh,
 * `_create_accounts`): rewrite the passwd-file and un-comment the include line. The caller reloads.
 */
export function simulateChangeDetector(fx: DmsFixture, userdbLines: string): void {
  const auth = join(fx.layout.dovecotConfD, '10-auth.conf');
  const text = readFileSync(auth, 'utf8').replace(/^#(!include auth-passwdfile\.inc)$/m, '$1');
  writeFileSync(auth, text);
  writeFileSync(join(dirname(fx.layout.dovecotConfD), 'userdb'), userdbLines);
}
