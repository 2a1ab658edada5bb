import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { command, startMaster, VMAIL_UID, type CommandResult, type DovecotInstance } from './dovecot-instance.js';
import { copyDovecotCf, runUserPatches, type DmsFixture } from './dms-fixture.js';
import { waitFor } from './net.js';

/** A Dovecot 2.3 laid out like DMS v15's /etc/dovecot, with mailroster's dovecot.cf as local.conf. */
export interface DmsDovecot extends Pick<DovecotInstance, 'configFile' | 'lmtpSocket' | 'doveadm' | 'log' | 'stop'> {
  /** DMS's /dev/shm/sasl-auth.sock for Postfix SASL: mode 0660, owner and group postfix. */
  readonly saslSocket: string;
  /** auth-client socket: its handshake lists the enabled SASL mechanisms. */
  readonly authClientSocket: string;
}

/**
 * v15's conf.d files as DMS ships them (target/dovecot/), paths moved into the fixture, with
 * ENABLE_OAUTH2=1 applied (oauth2.sh un-comments the include). `userdb` is DMS's passwd-file.
 */
function writeV15Layout(fx: DmsFixture, dir: string, baseDir: string, userdb: string): void {
  const confD = fx.layout.dovecotConfD;
  mkdirSync(confD, { recursive: true });
  writeFileSync(join(dir, 'userdb'), userdb);
  writeFileSync(join(dir, 'dovecot.conf'), `base_dir = ${baseDir}
state_dir = ${join(dir, 'state')}
instance_name = mailroster-dms-${fx.root.split('/').pop()}
protocols = lmtp
listen = 127.0.0.1
log_path = ${join(dir, 'dovecot.log')}
auth_verbose = yes
auth_failure_delay = 0
ssl = no
disable_plaintext_auth = no
first_valid_uid = ${VMAIL_UID}
!include conf.d/*.conf
!include_try local.conf
`);
  // 10-mail.conf: DMS's mail location and home.
  writeFileSync(join(confD, '10-mail.conf'), `mail_home = ${fx.layout.mailRoot}/%d/%n/home/
mail_location = maildir:${fx.layout.mailRoot}/%d/%n
namespace inbox {
  inbox = yes
}
`);
  writeFileSync(join(confD, '10-auth.conf'), `auth_mechanisms = plain login
!include auth-passwdfile.inc
!include auth-oauth2.conf.ext
`);
  writeFileSync(join(confD, 'auth-passwdfile.inc'), `passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=SHA512-CRYPT username_format=%u ${join(dir, 'userdb')}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${join(dir, 'userdb')}
  default_fields = uid=${VMAIL_UID} gid=${VMAIL_UID} home=${fx.layout.mailRoot}/%d/%u/home/
}
`);
  writeFileSync(join(confD, 'auth-oauth2.conf.ext'), `auth_mechanisms = $auth_mechanisms oauthbearer xoauth2
passdb {
    driver = oauth2
    mechanisms = xoauth2 oauthbearer
    args = ${join(dir, 'dovecot-oauth2.conf.ext')}
}
`);
  writeFileSync(join(dir, 'dovecot-oauth2.conf.ext'), 'introspection_url = http://127.0.0.1:9/introspect\nintrospection_mode = auth\nusername_attribute = email\n');
  // 10-master.conf and lmtp-master.inc: the sockets Postfix connects to.
  writeFileSync(join(confD, '10-master.conf'), `service lmtp {
  unix_listener lmtp {
    mode = 0660
    group = postfix
  }
}
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
  unix_listener ${join(baseDir, 'sasl-auth.sock')} {
    mode = 0660
    user = postfix
    group = postfix
  }
}
`);
}

/**
 * Starts the DMS-like Dovecot 2.3 after DMS's own steps: dovecot.cf copied to local.conf, then
 * user-patches.sh run against the copy of conf.d.
 */
export async function startDmsDovecot23(fx: DmsFixture, userdb: string): Promise<DmsDovecot> {
  const dir = dirname(fx.layout.dovecotConfD);
  const baseDir = join(fx.root, 'run-dovecot');
  writeV15Layout(fx, dir, baseDir, userdb);
  copyDovecotCf(fx, dir);
  await runUserPatches(fx);
  const configFile = join(dir, 'dovecot.conf');
  await startMaster(configFile);
  await waitFor(() => existsSync(join(baseDir, 'auth-userdb')) && existsSync(join(baseDir, 'master.pid')), 20_000, 'dovecot auth-userdb socket');
  const doveadm = (...args: string[]): Promise<CommandResult> => command('doveadm', ['-c', configFile, ...args]);
  const logFile = join(dir, 'dovecot.log');
  return {
    configFile, doveadm,
    lmtpSocket: join(baseDir, 'lmtp'), saslSocket: join(baseDir, 'sasl-auth.sock'), authClientSocket: join(baseDir, 'auth-client'),
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: async () => {
      await doveadm('stop');
      await waitFor(() => !existsSync(join(baseDir, 'master.pid')), 20_000, 'dovecot master to exit').catch(() => undefined);
    },
  };
}
