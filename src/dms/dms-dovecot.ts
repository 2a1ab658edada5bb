import { renderDictAuthExt } from '../dovecot-config.js';
import { DMS_VMAIL_ID, dictSocket, inDmsSubfolder, type DmsLayout } from './dms-layout.js';

/** A file written into DMS's config folder: its path relative to that folder and its text. */
export interface DmsFile {
  readonly path: string;
  readonly text: string;
  /** File mode; 0644 unless said. */
  readonly mode?: number;
}

/** Name of the dict-auth args file in mailroster's subfolder (v15). */
export const DICT_AUTH_EXT = 'dovecot-dict-auth.conf.ext';

const HEADER = (layout: DmsLayout): string[] => [
  `# mailroster for docker-mailserver ${layout.version}: DMS copies this file to /etc/dovecot/local.conf,`,
  '# which dovecot.conf includes last. It only adds a passdb and a userdb:',
  '# - no auth_mechanisms line: DMS\'s own (plain login, plus oauthbearer xoauth2 with ENABLE_OAUTH2) stays;',
  '# - no oauth2 settings: ENABLE_OAUTH2 keeps working next to mailroster;',
  '# - DMS\'s passwd-file passdb/userdb is emptied by user-patches.sh (it holds only the placeholder account).',
];

/** The mail layout DMS's own userdb returns: its docker user and `<root>/<domain>/<local>/home/`. */
function dmsHome23(layout: DmsLayout): string {
  return `${layout.mailRoot}/%d/%n/home/`;
}

/**
 * v15 (Dovecot 2.3): mailroster's dict passdb and userdb. The passdb is limited to password
 * mechanisms, so OAuth tokens never reach it (DMS's oauth2 passdb answers those), and uid, gid and
 * home are DMS's whatever mailroster's dict.userdb templates say: the mail store is DMS's.
 */
function dovecot23(layout: DmsLayout): DmsFile[] {
  const ext = inDmsSubfolder(layout, DICT_AUTH_EXT);
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
    `  # DMS's mail store: owned by its docker user (${DMS_VMAIL_ID}), homes under ${layout.mailRoot}/<domain>/<local>/home/.`,
    `  override_fields = uid=${DMS_VMAIL_ID} gid=${DMS_VMAIL_ID} home=${dmsHome23(layout)}`,
    '}',
    '',
  ].join('\n');
  return [
    { path: 'dovecot.cf', text: conf },
    { path: `mailroster/${DICT_AUTH_EXT}`, text: renderDictAuthExt(dictSocket(layout)) },
  ];
}

/** `dovecot.cf` and the files it refers to (in the `mailroster/` subfolder), for the layout's DMS version. */
export function renderDmsDovecot(layout: DmsLayout): DmsFile[] {
  if (layout.version === '15') return dovecot23(layout);
  throw new Error('docker-mailserver edge (Dovecot 2.4) is not supported yet');
}
