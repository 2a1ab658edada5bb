import type { AppConfig } from '../config/config.js';
import { renderDictAuthExt } from '../dovecot-config.js';
import { renderAuthLua } from '../dovecot/auth-lua.js';
import { OUT_FILES, renderDovecot24Conf } from '../dovecot/dovecot24-config.js';
import { DMS_SUBFOLDER, DMS_VMAIL_ID, dictSocket, inDmsSubfolder, type DmsLayout } from './dms-layout.js';

/** A file written into DMS's config folder: its path relative to that folder and its text. */
export interface DmsFile {
  readonly path: string;
  readonly text: string;
  /** File mode; 0644 unless said. */
  readonly mode?: number;
}

/** What the Dovecot side is generated from: the layout, mailroster's config, and (edge) the auth secret. */
export interface DmsDovecotInputs {
  readonly layout: DmsLayout;
  readonly config: AppConfig;
  /** The auth endpoint's shared secret (edge only). */
  readonly secret?: string;
}

const HEADER = (layout: DmsLayout): string[] => [
  `# mailroster for docker-mailserver ${layout.version}: DMS copies this file to /etc/dovecot/local.conf,`,
  '# which dovecot.conf includes last. It only adds a passdb and a userdb:',
  '# - no auth_mechanisms line: DMS\'s own (plain login, plus oauthbearer xoauth2 with ENABLE_OAUTH2) stays;',
  '# - no oauth2 settings: ENABLE_OAUTH2 keeps working next to mailroster;',
  '# - DMS\'s passwd-file passdb/userdb is emptied by user-patches.sh (it holds only the placeholder account).',
];

const MAIL_STORE = (layout: DmsLayout): string =>
  `  # DMS's mail store: owned by its docker user (${DMS_VMAIL_ID}), homes under ${layout.mailRoot}/<domain>/<local>/home/.`;

/**
 * v15 (Dovecot 2.3): mailroster's dict passdb and userdb. The passdb is limited to password
 * mechanisms, so OAuth tokens never reach it (DMS's oauth2 passdb answers those), and uid, gid and
 * home are DMS's whatever mailroster's dict.userdb templates say: the mail store is DMS's.
 */
function dovecot23(layout: DmsLayout): DmsFile[] {
  const ext = inDmsSubfolder(layout, OUT_FILES.dictAuthExt);
  const conf = [
    ...HEADER(layout),
    'passdb {',
    '  driver = dict',
    `  args = ${ext}`,
    '  # Password logins only; XOAUTH2/OAUTHBEARER tokens go to DMS\'s oauth2 passdb.',
    '  mechanisms = plain login',
    '}',
    'userdb {',
    '  driver = dict',
    `  args = ${ext}`,
    MAIL_STORE(layout),
    `  override_fields = uid=${DMS_VMAIL_ID} gid=${DMS_VMAIL_ID} home=${layout.mailRoot}/%d/%n/home/`,
    '}',
    '',
  ].join('\n');
  return [
    { path: 'dovecot.cf', text: conf },
    { path: `${DMS_SUBFOLDER}/${OUT_FILES.dictAuthExt}`, text: renderDictAuthExt(dictSocket(layout)) },
  ];
}

/**
 * edge (Dovecot 2.4): mailroster's Lua passdb and userdb (the renderer `dovecot-config --dovecot
 * 2.4` uses), with the script and the secret in mailroster's subfolder of DMS's config folder.
 * Its passdb has `mechanisms_filter = plain login`. uid, gid and home: Dovecot 2.4 keeps what the
 * Lua userdb returns (mailroster's dict.userdb templates; the generated mailroster config sets
 * DMS's values), so `fields` only gives DMS's as defaults for templates left empty.
 */
function dovecot24(inputs: DmsDovecotInputs): DmsFile[] {
  const { layout, config, secret } = inputs;
  if (secret === undefined || secret === '') throw new Error('edge needs the auth endpoint secret');
  const fields = [
    MAIL_STORE(layout),
    '  fields {',
    `    uid:default = ${DMS_VMAIL_ID}`,
    `    gid:default = ${DMS_VMAIL_ID}`,
    `    home:default = ${layout.mailRoot}/%{user | domain}/%{user | username}/home/`,
    '  }',
  ];
  const conf = `${HEADER(layout).join('\n')}\n${renderDovecot24Conf(config, `${layout.configDir}/${DMS_SUBFOLDER}`, layout.authUrl, fields)}`;
  return [
    { path: 'dovecot.cf', text: conf },
    { path: `${DMS_SUBFOLDER}/${OUT_FILES.lua}`, text: renderAuthLua() },
    // Read by Dovecot's auth-worker processes, which run as root.
    { path: `${DMS_SUBFOLDER}/${OUT_FILES.secret}`, text: `${secret}\n`, mode: 0o600 },
  ];
}

/** `dovecot.cf` and the files it refers to (in the `mailroster/` subfolder), for the layout's DMS version. */
export function renderDmsDovecot(inputs: DmsDovecotInputs): DmsFile[] {
  return inputs.layout.version === '15' ? dovecot23(inputs.layout) : dovecot24(inputs);
}
