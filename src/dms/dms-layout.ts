import { ConfigError } from '../errors.js';

/** docker-mailserver release lines: v15 ships Dovecot 2.3 (Debian 12), `edge` Dovecot 2.4 (Debian 13). */
export type DmsVersion = '15' | 'edge';

/** The Dovecot version each DMS release line runs. */
export const DOVECOT_OF: Readonly<Record<DmsVersion, '2.3' | '2.4'>> = { 15: '2.3', edge: '2.4' };

/** DMS's `docker` user and group (DMS_VMAIL_UID / DMS_VMAIL_GID default), owner of /var/mail. */
export const DMS_VMAIL_ID = 5000;

/** Port of mailroster's socketmap listener when DMS reaches it over TCP. */
export const DMS_SOCKETMAP_PORT = 10027;
/** Port of mailroster's Dovecot 2.4 auth endpoint (HTTP, reached by DMS's Lua bridge). */
export const DMS_AUTH_PORT = 10028;
/** Port of mailroster's operations endpoint inside its container (healthcheck only: loopback). */
export const DMS_HTTP_PORT = 9187;

/**
 * Where everything is, seen from inside the DMS container (and, for the socket directory, from
 * mailroster's container too: it is one shared volume). Every path can be changed so the tests can
 * apply the same files to a throwaway Postfix and Dovecot.
 */
export interface DmsLayout {
  readonly version: DmsVersion;
  /** `unix`: sockets on the shared volume `socketDir`; `tcp`: socketmap and auth over the network. */
  readonly transport: 'unix' | 'tcp';
  /** The shared volume holding mailroster's sockets (both containers mount it here). */
  readonly socketDir: string;
  /** Host name DMS uses for mailroster with `transport: tcp` (the compose service name). */
  readonly host: string;
  /** edge: the auth endpoint's URL as DMS's Dovecot reaches it (Dovecot's Lua HTTP client is TCP only). */
  readonly authUrl: string;
  /** Where DMS mounts its config folder (`docker-data/dms/config/`). */
  readonly configDir: string;
  /** DMS's mail root: homes are `<mailRoot>/<domain>/<local>/home/`. */
  readonly mailRoot: string;
  /** DMS's alias table built from postfix-virtual.cf. */
  readonly postfixVirtual: string;
  /** DMS's Dovecot conf.d, where `auth-passwdfile.inc` lives. */
  readonly dovecotConfD: string;
  /** Keep DMS's own aliases (postfix-virtual.cf) in front of mailroster's. */
  readonly keepDmsAliases: boolean;
}

/** DMS's own paths, as its image has them. */
export const DMS_DEFAULTS: Omit<DmsLayout, 'version'> = {
  transport: 'unix',
  socketDir: '/run/mailroster',
  host: 'mailroster',
  authUrl: `http://mailroster:${DMS_AUTH_PORT}`,
  configDir: '/tmp/docker-mailserver',
  mailRoot: '/var/mail',
  postfixVirtual: '/etc/postfix/virtual',
  dovecotConfD: '/etc/dovecot/conf.d',
  keepDmsAliases: false,
};

/** The subfolder of DMS's config folder that holds mailroster's Dovecot helper files. */
export const DMS_SUBFOLDER = 'mailroster';

/** A layout from CLI-style values; unknown versions and transports are refused by name. */
export function dmsLayout(version: unknown, overrides: Partial<Omit<DmsLayout, 'version'>> = {}): DmsLayout {
  if (version !== '15' && version !== 'edge') {
    throw new ConfigError(`--dms must be 15 or edge (got ${version === undefined ? 'nothing' : JSON.stringify(version)})`);
  }
  const layout: DmsLayout = { ...DMS_DEFAULTS, ...overrides, version };
  if (layout.transport !== 'unix' && layout.transport !== 'tcp') {
    throw new ConfigError(`--transport must be unix or tcp (got ${JSON.stringify(layout.transport)})`);
  }
  return layout;
}

/** mailroster's socketmap socket on the shared volume. */
export function socketmapSocket(layout: DmsLayout): string {
  return `${layout.socketDir}/socketmap.sock`;
}

/** mailroster's dict socket on the shared volume (v15: Dovecot 2.3's dict client has no TCP). */
export function dictSocket(layout: DmsLayout): string {
  return `${layout.socketDir}/dict.sock`;
}

/** The socketmap endpoint in Postfix syntax. */
export function postfixSocketmap(layout: DmsLayout): string {
  return layout.transport === 'unix' ? `unix:${socketmapSocket(layout)}` : `inet:${layout.host}:${DMS_SOCKETMAP_PORT}`;
}

/** Where a file of mailroster's subfolder is seen inside DMS. */
export function inDmsSubfolder(layout: DmsLayout, file: string): string {
  return `${layout.configDir}/${DMS_SUBFOLDER}/${file}`;
}
