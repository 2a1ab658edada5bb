import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VMAIL_UID } from './dovecot-instance.js';
import { startDovecot24, type Dovecot24Instance } from './dovecot24-instance.js';
import { copyDovecotCf, dmsFixture, runUserPatches, type DmsFixture } from './dms-fixture.js';

/** A Dovecot 2.4.1 laid out like DMS edge's /etc/dovecot, with the generated dovecot.cf as local.conf. */
export interface DmsDovecot24 {
  readonly dv: Dovecot24Instance;
  readonly fx: DmsFixture;
  /** DMS's /var/run/dovecot/lmtp: mode 0660, group postfix. */
  readonly lmtpSocket: string;
  /** auth-client socket: its handshake lists the enabled SASL mechanisms. */
  readonly authClientSocket: string;
}

/**
 * edge's conf.d files as DMS ships them (target/dovecot/ after the Debian 13 move), paths moved
 * into the fixture, with ENABLE_OAUTH2=1 and ENABLE_QUOTAS=1 applied. `userdb` is DMS's passwd-file.
 */
function writeEdgeLayout(fx: DmsFixture, dir: string, userdb: string): string {
  const etc = dirname(fx.layout.dovecotConfD);
  const confD = fx.layout.dovecotConfD;
  const mail = fx.layout.mailRoot;
  mkdirSync(confD, { recursive: true });
  writeFileSync(join(etc, 'userdb'), userdb);
  writeFileSync(join(confD, '10-mail.conf'), `mail_driver = maildir
mail_path = ${mail}/%{user | domain}/%{user | username}
mail_home = ${mail}/%{user | domain}/%{user | username}/home
namespace inbox {
  inbox = yes
}
mail_plugins {
  quota = yes
}
quota_driver = count
quota_storage_size = 128M
`);
  writeFileSync(join(confD, '10-auth.conf'), `auth_mechanisms = plain login
!include auth-passwdfile.inc
!include auth-oauth2.conf.ext
`);
  writeFileSync(join(confD, 'auth-passwdfile.inc'), `passdb passdb-default {
  driver                  = passwd-file
  passwd_file_path        = ${join(etc, 'userdb')}
  auth_username_format    = %{user}
  mechanisms_filter       = plain login
  default_password_scheme = SHA512-CRYPT
}
userdb userdb-default {
  driver                  = passwd-file
  passwd_file_path        = ${join(etc, 'userdb')}
  auth_username_format    = %{user}
  fields {
    uid:default = ${VMAIL_UID}
    gid:default = ${VMAIL_UID}
    home:default = ${mail}/%{user | domain}/%{user}/home/
  }
}
`);
  // oauth2.sh fills in introspection_url; nothing listens there (no OAuth login is tried).
  writeFileSync(join(confD, 'auth-oauth2.conf.ext'), `auth_mechanisms {
  oauthbearer = yes
  xoauth2 = yes
}
oauth2 {
    introspection_url = http://127.0.0.1:9/introspect
    introspection_mode = auth
    username_attribute = email
}
`);
  // lmtp-master.inc: DMS adds `group = postfix`; the Debian 13 root has no postfix group, so the
  // test gives the socket that group from outside once Dovecot made it (same mode, same owner).
  writeFileSync(join(confD, '10-master.conf'), `service lmtp {
  unix_listener lmtp {
    mode = 0660
  }
}
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
}
`);
  return `# DMS edge-like test instance (dovecot.conf of Debian 13, reduced to what matters here).
dovecot_config_version = 2.4.1
dovecot_storage_version = 2.4.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = mailroster-dms-${basename(dir)}
log_path = ${dir}/dovecot.log
listen = 127.0.0.1
protocols = lmtp
ssl = no
default_internal_user = root
default_login_user = root
auth_allow_cleartext = yes
auth_verbose = yes
auth_failure_delay = 0
first_valid_uid = ${VMAIL_UID}
last_valid_uid = ${VMAIL_UID}
!include ${confD}/*.conf
!include_try ${etc}/local.conf
`;
}

/**
 * Starts a Dovecot 2.4.1 in the Debian 13 root after DMS's own steps: dovecot.cf copied to
 * local.conf, then user-patches.sh run against the copy of conf.d. The fixture lives in the
 * folder the root sees; mailroster (the auth endpoint on `authPort`) may start afterwards.
 */
export async function startDmsDovecot24(authPort: number, userdb: string): Promise<DmsDovecot24> {
  let fx: DmsFixture | undefined;
  const dv = await startDovecot24({
    layout: async (dir) => {
      fx = dmsFixture('edge', { root: dir, authPort });
      const conf = writeEdgeLayout(fx, dir, userdb);
      copyDovecotCf(fx, dirname(fx.layout.dovecotConfD));
      await runUserPatches(fx);
      return conf;
    },
  });
  const lmtpSocket = join(dv.dir, 'run', 'lmtp');
  chownSync(lmtpSocket, 0, postfixGid());
  return { dv, fx: fx!, lmtpSocket, authClientSocket: join(dv.dir, 'run', 'auth-client') };
}

function postfixGid(): number {
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith('postfix:'));
  if (!line) throw new Error('no postfix group: is Postfix installed?');
  return Number(line.split(':')[2]);
}
