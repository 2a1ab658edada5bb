import type { AppConfig } from './config/config.js';
import { parseEndpoint, type Endpoint } from './config/formats.js';

/** Postfix's name for a socketmap endpoint: `inet:host:port` or `unix:/path`. */
function postfixEndpoint(ep: Endpoint): string {
  if (ep.kind === 'unix') return `unix:${ep.path}`;
  return `inet:${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
}

/**
 * The main.cf lines that point Postfix at mailroster. Delivery goes over LMTP: virtual(8) refuses
 * socketmap for virtual_mailbox_maps ("not allowed for security-sensitive data").
 */
export function renderPostfixConfig(config: AppConfig): string {
  const first = config.socketmap.listen[0];
  if (first === undefined) throw new Error('socketmap.listen is empty: Postfix has nothing to connect to');
  const sm = `socketmap:${postfixEndpoint(parseEndpoint(first))}`;
  return [
    '# mailroster: Postfix main.cf lines (postconf -e each, or paste into main.cf)',
    `recipient_delimiter = ${config.addresses.recipientDelimiter}`,
    `mailroster = ${sm}`,
    'virtual_mailbox_domains = ${mailroster}:domain',
    'virtual_mailbox_maps = ${mailroster}:mailbox',
    'virtual_alias_maps = ${mailroster}:alias',
    '# Without this, Postfix also sends bare domains to the alias map (it defaults to $virtual_alias_maps).',
    'virtual_alias_domains =',
    '# Used only with SASL and reject_sender_login_mismatch in smtpd_sender_restrictions.',
    'smtpd_sender_login_maps = ${mailroster}:senders',
    '# Deliver through Dovecot LMTP; virtual(8) refuses socketmap tables.',
    'virtual_transport = lmtp:unix:private/dovecot-lmtp',
    '',
  ].join('\n');
}
