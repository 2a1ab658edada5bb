import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { smtpSession } from './smtp-client.js';

// SMTP conversations and Maildir checks the end-to-end tests (Dovecot 2.3 and 2.4) share.

/** alice (alias postmaster, password), bob and carol (no password), dave (disabled, password). */
export const E2E_YAML = `
domains: [example.com]
mailboxes:
  - address: alice@example.com
    aliases: [postmaster@example.com]
    passwordHash: "{PLAIN}secret"
    # The SHA-256 of "alice-app-key", as mailroster stores an app password.
    appPasswords: [{ id: phone, hash: "{SHA256.HEX}11b5dd8006411407336da103fef55d282326f53aa5d3e2d4bda72db47ea9992a" }]
  - address: bob@example.com
  - address: carol@example.com
  - address: dave@example.com
    enabled: false
    passwordHash: "{PLAIN}dave-pw"
    appPasswords: [{ id: laptop, hash: "{SHA256.HEX}bece576ef1a8eee1ecf2d1633e40c88033ef1d24da4ed25a45f21668c9c3b6e7" }]
`;

/** AUTH PLAIN on a fresh SMTP session: the reply line. */
export async function smtpAuth(port: number, user: string, password: string): Promise<string> {
  const s = await smtpSession(port);
  try {
    await s.command('EHLO client.test');
    return (await s.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`)).text;
  } finally {
    await s.close();
  }
}

/** The RCPT reply for MAIL FROM `from`, after AUTH PLAIN when `login` is given. */
export async function senderCheck(port: number, from: string, login?: [user: string, password: string]): Promise<string> {
  const s = await smtpSession(port);
  try {
    await s.command('EHLO client.test');
    if (login) await s.command(`AUTH PLAIN ${Buffer.from(`\0${login[0]}\0${login[1]}`).toString('base64')}`);
    await s.command(`MAIL FROM:<${from}>`);
    return (await s.command('RCPT TO:<bob@example.com>')).text;
  } finally {
    await s.close();
  }
}

/** One SMTP transaction: the RCPT reply, and the final reply when the recipient was accepted. */
export async function sendMail(port: number, rcpt: string, token: string): Promise<{ rcpt: string; done?: string }> {
  const s = await smtpSession(port);
  try {
    await s.command('EHLO client.test');
    await s.command('MAIL FROM:<sender@remote.test>');
    const r = await s.command(`RCPT TO:<${rcpt}>`);
    if (r.code !== 250) return { rcpt: r.text };
    await s.command('DATA');
    const done = await s.command(`From: sender@remote.test\r\nTo: <${rcpt}>\r\nSubject: ${token}\r\n\r\nhello ${token}\r\n.`);
    return { rcpt: r.text, done: done.text };
  } finally {
    await s.close();
  }
}

/** The messages in a Maildir's new/ that contain `token`. */
export function delivered(maildir: string, token: string): string[] {
  const dir = join(maildir, 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).filter((m) => m.includes(token));
}
