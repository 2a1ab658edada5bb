import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './net.js';
import { tempDir } from './temp.js';

/** The uid/gid the throwaway instance delivers as (the userdb templates must return it). */
export const VMAIL_UID = 5000;

/** A private Dovecot (2.3 here, 2.4 in dovecot24-instance.ts): own config, base_dir, log and mail root; no system service involved. */
export interface DovecotInstance {
  /** The work folder (for 2.4: at the same path inside and outside the root). */
  readonly dir: string;
  readonly configFile: string;
  /** Root of the mail homes, owned by {@link VMAIL_UID}: use `${vmail}/%d/%n` as home template. */
  readonly vmail: string;
  /** dovecot-lmtpd's UNIX socket (Postfix: `lmtp:unix:<this>`), when started with `lmtp`; reachable from outside a 2.4 root. */
  readonly lmtpSocket: string;
  /** Runs `doveadm -c <config> ...args` (for 2.4 inside the root): stdout, stderr, exit code and elapsed milliseconds. */
  doveadm(...args: string[]): Promise<CommandResult>;
  /** The instance's log_path contents. */
  log(): string;
  /** Stops Dovecot and removes its folder (2.4: unmounts it too); safe to call twice. */
  stop(): Promise<void>;
}

/** Output of one command. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
  readonly ms: number;
}

/** Options of {@link startDovecot}. */
export interface DovecotOptions {
  /** mailroster's dict socket, as written into the generated dict-auth args file. */
  readonly dictSocket: string;
  /** Keep dict connections open between lookups (`proxy:idle_msecs=N:`). */
  readonly idleMsecs?: number;
  /** Also run dovecot-lmtpd on {@link DovecotInstance.lmtpSocket}. */
  readonly lmtp?: boolean;
  /** Bearer-token logins: the env `dovecot-config --oauth2` reads (provider and oauth2.* keys). */
  readonly oauth2Env?: Readonly<Record<string, string>>;
}

/** The auth socket Postfix's `smtpd_sasl_type = dovecot` connects to, under the instance dir. */
export function saslSocketPath(instance: DovecotInstance): string {
  return join(instance.dir, 'run', 'auth-postfix');
}

/**
 * Starts a throwaway Dovecot whose passdb and userdb are the configuration `mailroster
 * dovecot-config` generates, pointed at `dictSocket`. Runs as root (auth-worker connects as root).
 */
export async function startDovecot(options: DovecotOptions): Promise<DovecotInstance> {
  const tmp = tempDir('mailroster-dovecot-');
  const dir = tmp.path;
  // Unprivileged processes (Postfix's lmtp client, Dovecot's own users) must traverse this.
  chmodSync(dir, 0o755);
  const vmail = join(dir, 'vmail');
  mkdirSync(vmail);
  chownSync(vmail, VMAIL_UID, VMAIL_UID);
  // Exactly the files `mailroster dovecot-config --dovecot 2.3 --out` writes.
  const mailrosterDir = join(dir, 'mailroster');
  await runDovecotConfig('2.3', mailrosterDir, { MAILROSTER_DICT_LISTEN: options.dictSocket, ...options.oauth2Env }, [
    ...(options.idleMsecs ? ['--idle-msecs', String(options.idleMsecs)] : []), ...(options.oauth2Env ? ['--oauth2'] : []),
  ]);
  const configFile = join(dir, 'dovecot.conf');
  writeFileSync(configFile, dovecotConf(dir, join(mailrosterDir, 'mailroster.conf'), options));
  const baseDir = join(dir, 'run');
  const doveadm = async (...args: string[]): Promise<CommandResult> => command('doveadm', ['-c', configFile, ...args]);
  await startMaster(configFile);
  await waitFor(() => existsSync(join(baseDir, 'auth-userdb')) && existsSync(join(baseDir, 'master.pid')), 20_000, 'dovecot auth-userdb socket');
  return {
    dir, configFile, vmail, doveadm,
    lmtpSocket: join(baseDir, 'lmtp'),
    log: () => (existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : ''),
    stop: async () => {
      await doveadm('stop');
      await waitFor(() => !existsSync(join(baseDir, 'master.pid')), 20_000, 'dovecot master to exit').catch(() => undefined);
      tmp.remove();
    },
  };
}

/**
 * Runs `dovecot -c FILE`, which forks the master and exits. Its daemons keep inherited pipes open,
 * so stdio is not captured (errors go to log_path); only the exit status is awaited.
 */
export async function startMaster(configFile: string): Promise<void> {
  const child = spawn('dovecot', ['-c', configFile], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('exit', resolve));
  if (code !== 0) throw new Error(`dovecot -c ${configFile} exited with ${code}; see its log_path`);
}

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** `mailroster dovecot-config --dovecot VERSION --out DIR ...args` with only PATH and `env` in the environment. */
export async function runDovecotConfig(version: '2.3' | '2.4', out: string, env: Readonly<Record<string, string>>, args: readonly string[] = []): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [CLI, 'dovecot-config', '--dovecot', version, '--out', out, ...args], { env: { PATH: process.env.PATH, ...env } }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`mailroster dovecot-config --dovecot ${version} failed: ${stderr}`, { cause: err }));
      else resolve();
    });
  });
}

function dovecotConf(dir: string, include: string, options: DovecotOptions): string {
  return `# Throwaway test instance: nothing here touches /etc/dovecot or the system service.
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = mailroster-${basename(dir)}
protocols = ${options.lmtp ? 'lmtp' : ''}
listen = 127.0.0.1
log_path = ${dir}/dovecot.log
auth_verbose = yes
# Tests log in with wrong passwords on purpose; no 2 s delay after each.
auth_failure_delay = 0
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = ${VMAIL_UID}
last_valid_uid = ${VMAIL_UID}
mail_location = maildir:~/Maildir
!include ${include}
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
  unix_listener lmtp {
    mode = 0666
  }
}
`;
}

/** Runs a command and never rejects: the exit code is part of the result. */
export async function command(file: string, args: string[]): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ stdout, stderr, code, ms: Date.now() - started });
    });
  });
}

/** Parses `doveadm user` output (`field<TAB>value` lines) into an object. */
export function parseFields(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) out[line.slice(0, tab).trim()] = line.slice(tab + 1);
  }
  return out;
}


/** Waits until the instance's log shows `pattern`: Dovecot's log process writes asynchronously. */
export async function waitForLog(instance: { log(): string }, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => pattern.test(instance.log()), timeoutMs, `log line ${pattern}`).catch((err: Error) => {
    throw new Error(`${err.message}; log:\n${instance.log().slice(-1500)}`, { cause: err });
  });
}
