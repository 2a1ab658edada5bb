import { postfixSocketmap, type DmsLayout } from './dms-layout.js';

/**
 * DMS's `postfix-main.cf`. DMS appends it to main.cf late in its setup and rewrites the file with
 * `postconf -n`, so each key here replaces DMS's whole value (a key cannot extend its old value):
 * the four maps name every table they need, DMS's alias table included when asked for.
 */
export function renderDmsPostfixMain(layout: DmsLayout): string {
  const aliases = layout.keepDmsAliases ? `texthash:${layout.postfixVirtual}, \${mailroster}:alias` : '${mailroster}:alias';
  const senders = layout.keepDmsAliases ? `\${mailroster}:senders, texthash:${layout.postfixVirtual}` : '${mailroster}:senders';
  return [
    `# mailroster for docker-mailserver ${layout.version}: users, aliases and lists come from mailroster.`,
    '# DMS appends this file to main.cf and keeps the last value of each key (postconf -n).',
    `mailroster = socketmap:${postfixSocketmap(layout)}`,
    '# Domains and mailboxes: mailroster only (DMS\'s vhost and vmailbox hold just the placeholder account).',
    'virtual_mailbox_domains = ${mailroster}:domain',
    'virtual_mailbox_maps = ${mailroster}:mailbox',
    layout.keepDmsAliases
      ? `# DMS's own aliases (postfix-virtual.cf, \`setup alias\`) first, then mailroster's.`
      : '# Aliases and lists: mailroster only (postfix-virtual.cf and `setup alias` no longer apply).',
    `virtual_alias_maps = ${aliases}`,
    '# Without this Postfix also asks the alias maps about bare domains ($virtual_alias_maps is the default).',
    'virtual_alias_domains =',
    '# Who may send as which address: used by SPOOF_PROTECTION=1 (reject_authenticated_sender_login_mismatch).',
    `smtpd_sender_login_maps = ${senders}`,
    '',
  ].join('\n');
}
