import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from './net.js';
import { smtpSession } from './smtp-client.js';
import { tempDir } from './temp.js';

const run = promisify(execFile);

/** A private Postfix: own config, queue and log, smtpd on a loopback port, no chroot. */
export interface PostfixInstance {
  readonly dir: string;
  readonly configDir: string;
  readonly smtpPort: number;
  /** Postfix's own log file (maillog_file): lookup errors and delivery results. */
  maillog(): string;
  stop(): Promise<void>;
}

/** Options of {@link startPostfix}. */
export interface PostfixOptions {
  /** The socketmap endpoint in Postfix syntax: `inet:127.0.0.1:PORT` or `unix:/path`. */
  readonly socketmap: string;
  /** Extra or replaced main.cf settings, e.g. `virtual_transport`. */
  readonly main?: Readonly<Record<string, string>>;
  /** Extra master.cf lines (further services). */
  readonly masterExtra?: string;
  /** Runs after main.cf and master.cf are written, before Postfix starts (e.g. to rewrite main.cf). */
  readonly beforeStart?: (configDir: string) => Promise<void>;
}

// Every service this test instance needs, chroot off (a chroot would need copies of /etc files).
const MASTER_CF = (port: number): string => `
127.0.0.1:${port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

/** Starts a throwaway Postfix whose maps all point at one socketmap endpoint. */
export async function startPostfix(options: PostfixOptions): Promise<PostfixInstance> {
  const tmp = tempDir('mailroster-postfix-');
  const dir = tmp.path;
  const configDir = join(dir, 'etc');
  // mkdtemp makes 0700 directories; Postfix's unprivileged daemons must be able to enter this one.
  chmodSync(dir, 0o755);
  for (const d of ['etc', 'spool', 'data']) mkdirSync(join(dir, d));
  // master.lock lives in data_directory, which must belong to mail_owner.
  chownSync(join(dir, 'data'), postfixUid(), -1);
  const smtpPort = await freePort();
  const main: Record<string, string> = {
    compatibility_level: '3.6', config_directory: configDir, meta_directory: '/etc/postfix',
    queue_directory: join(dir, 'spool'), data_directory: join(dir, 'data'),
    command_directory: '/usr/sbin', daemon_directory: '/usr/lib/postfix/sbin', shlib_directory: '/usr/lib/postfix',
    mail_owner: 'postfix', setgid_group: 'postdrop', myhostname: 'mx.test.invalid', mydomain: 'test.invalid',
    myorigin: '$myhostname', mydestination: 'localhost', inet_interfaces: '127.0.0.1', inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8', maillog_file: join(dir, 'maillog'), maillog_file_prefixes: dir,
    alias_maps: '', alias_database: '', recipient_delimiter: '+', smtputf8_enable: 'yes',
    sm: `socketmap:${options.socketmap}`,
    virtual_mailbox_domains: '${sm}:domain', virtual_mailbox_maps: '${sm}:mailbox',
    virtual_alias_maps: '${sm}:alias', virtual_alias_domains: '', smtpd_sender_login_maps: '${sm}:senders',
    virtual_transport: 'discard:', smtpd_recipient_restrictions: 'reject_unauth_destination',
    smtpd_relay_restrictions: '', smtpd_banner: '$myhostname ESMTP', biff: 'no',
    // A test instance must notice a revived lookup server quickly.
    queue_run_delay: '1s', minimal_backoff_time: '1s', maximal_backoff_time: '2s',
    ...options.main,
  };
  writeFileSync(join(configDir, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  writeFileSync(join(configDir, 'master.cf'), MASTER_CF(smtpPort) + (options.masterExtra ?? ''));
  await options.beforeStart?.(configDir);
  await run('postfix', ['-c', configDir, 'start']);
  const instance: PostfixInstance = {
    dir, configDir, smtpPort,
    maillog: () => (existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : ''),
    stop: async () => {
      await run('postfix', ['-c', configDir, 'stop']).catch(() => run('postfix', ['-c', configDir, 'abort']).catch(() => undefined));
      await waitFor(() => !existsSync(join(dir, 'spool', 'pid', 'master.pid')), 10_000, 'postfix master to exit').catch(() => undefined);
      tmp.remove();
    },
  };
  await waitFor(async () => {
    const s = await smtpSession(smtpPort);
    await s.close();
    return true;
  }, 20_000, `postfix smtpd on port ${smtpPort}`);
  return instance;
}

function postfixUid(): number {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postfix:'));
  if (!line) throw new Error('no postfix user: is Postfix installed?');
  return Number(line.split(':')[2]);
}

/** Runs `postmap -q KEY socketmap:ENDPOINT:MAP`: stdout, stderr and exit code. */
export async function postmapQuery(endpoint: string, map: string, key: string, input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  const args = ['-q', input === undefined ? key : '-', `socketmap:${endpoint}:${map}`];
  return new Promise((resolve) => {
    const child = execFile('postmap', args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}
