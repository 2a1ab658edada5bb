/** Variables a userdb template may use; `%q` only in quotaRule. */
const TEMPLATE_VARIABLES = 'und%';

/** A convict format for a userdb template: Dovecot-style `%u %n %d %%` variables, nothing else. */
function templateFormat(extra = ''): (value: unknown) => void {
  const allowed = TEMPLATE_VARIABLES + extra;
  return (value: unknown): void => {
    if (typeof value !== 'string') throw new Error('must be a string');
    for (const m of value.matchAll(/%(.?)/g)) {
      if (!allowed.includes(m[1] || '\0')) {
        throw new Error(`unknown variable "%${m[1]}"; use ${[...allowed].map((c) => `%${c}`).join(' ')}`);
      }
    }
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f]/.test(value)) throw new Error('must not contain control characters');
  };
}

/** convict schema for the Dovecot dict proxy listener and the userdb/passdb values. */
export const dictSchema = {
  dict: {
    listen: {
      doc: 'Dovecot dict endpoints: absolute UNIX socket paths (Dovecot speaks dict over UNIX sockets only) or host:port for tooling',
      format: 'endpoint-list',
      default: [] as string[],
      env: 'MAILROSTER_DICT_LISTEN',
    },
    // Dovecot 2.3 runs auth-worker (the passdb/userdb dict client) as root, so 0660 with the
    // process's own user is enough; give the group to the vmail user if mail processes use it too.
    socketMode: { doc: 'File mode of dict UNIX sockets', format: 'file-mode', default: '0660', env: 'MAILROSTER_DICT_SOCKET_MODE' },
    socketOwner: { doc: 'Owner (name or uid) of dict UNIX sockets; empty keeps the process user', format: String, default: '', env: 'MAILROSTER_DICT_SOCKET_OWNER' },
    socketGroup: { doc: 'Group (name or gid) of dict UNIX sockets, e.g. dovecot or vmail; empty keeps the process group', format: String, default: '', env: 'MAILROSTER_DICT_SOCKET_GROUP' },
    maxLineBytes: {
      // Dovecot's own dict server: DICT_CLIENT_MAX_LINE_LENGTH = 64 KiB.
      doc: 'Longest dict command line accepted; a longer one closes the connection before it is buffered',
      format: 'nat', default: 64 * 1024, env: 'MAILROSTER_DICT_MAX_LINE_BYTES',
    },
    idleTimeoutMs: {
      // Dovecot closes right after each reply unless the URI sets idle_msecs; then it keeps the
      // connection that long after the last reply. Reap only clearly abandoned connections.
      doc: 'Close a dict connection after this long without a command (ms)',
      format: 'nat', default: 300_000, env: 'MAILROSTER_DICT_IDLE_TIMEOUT_MS',
    },
    requestTimeoutMs: {
      // Dovecot writes each command line in one piece; see socketmap.requestTimeoutMs.
      doc: 'Close a dict connection whose started command line is not complete within this long (ms); 0 disables',
      format: 'nat', default: 10_000, env: 'MAILROSTER_DICT_REQUEST_TIMEOUT_MS',
    },
    maxConnections: {
      // One per auth-worker process (auth_worker_max_count defaults to 30) plus doveadm.
      doc: 'Most dict connections at once, all endpoints together; more are refused', format: 'nat', default: 1000, env: 'MAILROSTER_DICT_MAX_CONNECTIONS',
    },
    userdb: {
      uid: { doc: 'userdb uid field (a number or a user name); empty omits it (Dovecot then uses mail_uid)', format: templateFormat(), default: '5000', env: 'MAILROSTER_DICT_USERDB_UID' },
      gid: { doc: 'userdb gid field (a number or a group name); empty omits it (Dovecot then uses mail_gid)', format: templateFormat(), default: '5000', env: 'MAILROSTER_DICT_USERDB_GID' },
      home: {
        doc: 'userdb home template: %u address, %n local part, %d domain, %% a percent sign; empty omits it',
        format: templateFormat(), default: '/var/mail/%d/%n', env: 'MAILROSTER_DICT_USERDB_HOME',
      },
      mail: {
        doc: 'userdb mail (mail_location) template, e.g. maildir:~/Maildir; empty omits it so Dovecot uses its mail_location',
        format: templateFormat(), default: '', env: 'MAILROSTER_DICT_USERDB_MAIL',
      },
      quotaRule: {
        doc: 'userdb quota_rule template for mailboxes that have a quota; %q is the quota (2G, 512M); empty omits it',
        format: templateFormat('q'), default: '*:storage=%q', env: 'MAILROSTER_DICT_USERDB_QUOTA_RULE',
      },
    },
    passdb: {
      disabledMode: {
        // Login processes enforce nologin, but Postfix's Dovecot SASL client ignores it (it reads
        // only user= from Dovecot's OK), so with "nologin" a disabled user who knows the password
        // still authenticates to smtpd and can submit mail. "fail" refuses everyone.
        doc: 'How the passdb treats a disabled mailbox: fail (every service refuses every password and app password; no reason shown) or nologin (IMAP/POP3 show the reason after a correct password, but Postfix SASL ACCEPTS it: a disabled user can still send)',
        format: ['fail', 'nologin'], default: 'fail', env: 'MAILROSTER_DICT_PASSDB_DISABLED_MODE',
      },
      hashSlots: {
        // Dovecot 2.3's dict passdb verifies one hash per lookup; dovecot-config writes one passdb
        // block per slot (after a mismatch Dovecot tries the next block). App passwords need no
        // slot: the first block's key carries the password's SHA-256, which picks the right one.
        doc: 'Dovecot 2.3: how many password hashes of one mailbox (mailPasswordHash values) are tried; dovecot-config writes one passdb block each',
        format: 'nat', default: 2, env: 'MAILROSTER_DICT_PASSDB_HASH_SLOTS',
      },
      disabledReason: {
        doc: 'passdb reason shown to a disabled mailbox that tries to log in',
        format: String, default: 'Account disabled', env: 'MAILROSTER_DICT_PASSDB_DISABLED_REASON',
      },
    },
  },
};
