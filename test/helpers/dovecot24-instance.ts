import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { command, runDovecotConfig, VMAIL_UID, type CommandResult, type DovecotInstance } from './dovecot-instance.js';
import { waitFor } from './net.js';
import { tempDir } from './temp.js';

/** The prepared Debian 13 root holding Dovecot 2.4.1 (.ci/run builds it; used read-only). */
export const DOVECOT24_ROOT = process.env.MAILROSTER_DOVECOT24_ROOT ?? '/var/cache/mailroster/debian13-dovecot';

/**
 * For `describe(name, { skip: missingDovecot24() }, ...)`: why to skip when the 2.4 root is
 * missing on a developer machine. Under CI (CI=true) a missing root is a failure, never a skip.
 */
export function missingDovecot24(): string | false {
  const ok = existsSync(join(DOVECOT24_ROOT, 'usr/sbin/dovecot')) && existsSync(join(DOVECOT24_ROOT, 'usr/lib/dovecot/modules/auth/libauthdb_lua.so'));
  if (ok) return false;
  const reason = `needs Dovecot 2.4 in ${DOVECOT24_ROOT} (run .ci/run once, or set MAILROSTER_DOVECOT24_ROOT)`;
  if (process.env.CI === 'true') throw new Error(`CI: ${reason}`);
  return reason;
}

/** A private Dovecot 2.4.1 in the Debian 13 root: the 2.3 instance's surface, plus its own paths. */
export interface Dovecot24Instance extends DovecotInstance {
  /** Where `mailroster dovecot-config --dovecot 2.4 --out` wrote its files (when it ran). */
  readonly mailrosterDir: string;
  /** The auth socket for Postfix's `smtpd_sasl_type = dovecot`. */
  readonly saslSocket: string;
}

/** Options of {@link startDovecot24}. */
export interface Dovecot24Options {
  /**
   * Environment for `mailroster dovecot-config --dovecot 2.4 --out DIR/mailroster` (e.g.
   * MAILROSTER_AUTH_LISTEN, MAILROSTER_AUTH_SECRET_FILE, MAILROSTER_DICT_USERDB_HOME); its
   * mailroster.conf is included. Leave out to include nothing from mailroster.
   */
  readonly mailrosterEnv?: Readonly<Record<string, string>>;
  /** Extra `dovecot-config` arguments, e.g. ['--auth-url', 'http://127.0.0.1:1234']. */
  readonly mailrosterArgs?: readonly string[];
  /** Also run dovecot-lmtpd on {@link Dovecot24Instance.lmtpSocket}. */
  readonly lmtp?: boolean;
  /** Appended to dovecot.conf (e.g. `auth_cache_size = 0`, a dict block); DIR is replaced by the work folder. */
  readonly extraConf?: string;
  /**
   * Writes a layout of its own into the work folder and returns the whole dovecot.conf (instead of
   * the one above); it must keep base_dir = DIR/run and log_path = DIR/dovecot.log.
   */
  readonly layout?: (dir: string) => string | Promise<string>;
}

/**
 * Starts a throwaway Dovecot 2.4.1 from the Debian 13 root with exactly the files `mailroster
 * dovecot-config --dovecot 2.4 --out` writes. Runs as root (chroot and bind mount need it).
 */
export async function startDovecot24(options: Dovecot24Options = {}): Promise<Dovecot24Instance> {
  const tmp = tempDir('mailroster-dv24-');
  const dir = tmp.path;
  const inRoot = join(DOVECOT24_ROOT, dir);
  let mounted = false;
  let running = false;
  const configFile = join(dir, 'dovecot.conf');
  const doveadm = (...args: string[]): Promise<CommandResult> => command('chroot', [DOVECOT24_ROOT, 'doveadm', '-c', configFile, ...args]);
  const stop = async (): Promise<void> => {
    if (running) {
      running = false;
      await doveadm('stop');
      await waitFor(() => !existsSync(join(dir, 'run', 'master.pid')), 20_000, 'dovecot 2.4 master to exit').catch(() => undefined);
    }
    if (mounted) {
      mounted = false;
      // Daemons that just exited may still hold the mount for a moment; a lazy unmount never fails.
      if ((await command('umount', [inRoot])).code !== 0) await command('umount', ['-l', inRoot]);
      try {
        rmdirSync(inRoot);
      } catch {
        // left for the next run's mkdir; never remove anything else inside the shared root
      }
    }
    tmp.remove();
  };
  try {
    // Unprivileged processes (Postfix's lmtp client) must traverse this.
    chmodSync(dir, 0o755);
    const vmail = join(dir, 'vmail');
    mkdirSync(vmail);
    chownSync(vmail, VMAIL_UID, VMAIL_UID);
    const mailrosterDir = join(dir, 'mailroster');
    if (options.mailrosterEnv) await runDovecotConfig('2.4', mailrosterDir, options.mailrosterEnv, options.mailrosterArgs ?? []);
    writeFileSync(configFile, options.layout ? await options.layout(dir) : dovecotConf(dir, options));
    mkdirSync(inRoot, { recursive: true });
    const mount = await command('mount', ['--bind', dir, inRoot]);
    if (mount.code !== 0) throw new Error(`mount --bind ${dir} ${inRoot} failed: ${mount.stderr}`);
    mounted = true;
    await startMaster(configFile);
    running = true;
    await waitFor(() => existsSync(join(dir, 'run', 'auth-userdb')) && existsSync(join(dir, 'run', 'master.pid')), 20_000, 'dovecot 2.4 auth-userdb socket');
    return {
      dir, configFile, mailrosterDir, vmail, doveadm, stop,
      lmtpSocket: join(dir, 'lmtp'),
      saslSocket: join(dir, 'run', 'auth-postfix'),
      log: () => (existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : ''),
    };
  } catch (err) {
    const log = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8').slice(-2000) : '';
    await stop();
    throw new Error(`Dovecot 2.4 did not start: ${(err as Error).message}${log ? `\n${log}` : ''}`, { cause: err });
  }
}

/** Runs `dovecot -c FILE` in the root; it forks the master and exits (errors go to log_path). */
async function startMaster(configFile: string): Promise<void> {
  const child = spawn('chroot', [DOVECOT24_ROOT, 'dovecot', '-c', configFile], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('exit', resolve));
  if (code !== 0) throw new Error(`chroot ${DOVECOT24_ROOT} dovecot -c ${configFile} exited with ${code}; see its log_path`);
}

function dovecotConf(dir: string, options: Dovecot24Options): string {
  const include = options.mailrosterEnv ? `!include ${dir}/mailroster/mailroster.conf` : '';
  return `# Throwaway Dovecot 2.4 test instance: nothing here touches /etc/dovecot or a system service.
dovecot_config_version = 2.4.1
dovecot_storage_version = 2.4.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = mailroster-${basename(dir)}
log_path = ${dir}/dovecot.log
listen = 127.0.0.1
protocols = ${options.lmtp ? 'lmtp' : ''}
ssl = no
default_internal_user = root
default_login_user = root
auth_mechanisms = plain login
auth_allow_cleartext = yes
auth_verbose = yes
# Tests log in with wrong passwords and stop mailroster on purpose; no 2 s delay after each.
auth_failure_delay = 0
auth_internal_failure_delay = 0
first_valid_uid = ${VMAIL_UID}
last_valid_uid = ${VMAIL_UID}
mail_driver = maildir
mail_path = ~/Maildir
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
  # For Postfix SASL (smtpd_sasl_type = dovecot); Postfix's smtpd runs as the postfix user.
  unix_listener auth-postfix {
    mode = 0666
  }
}
service lmtp {
  # In the shared folder, so Postfix outside the root reaches it.
  unix_listener ${dir}/lmtp {
    mode = 0666
  }
}
${(options.extraConf ?? '').replaceAll('DIR', dir)}
${include}
`;
}
