import { connect } from 'node:net';

/**
 * The SASL mechanisms a Dovecot auth server offers, from its handshake on an auth-client socket
 * (`MECH\t<NAME>\t<flags>` lines up to `DONE`): what IMAP, submission and Postfix clients see.
 */
export async function authMechanisms(socketPath: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no auth handshake within 10 s')));
    socket.on('connect', () => socket.write(`VERSION\t1\t2\nCPID\t${process.pid}\n`));
    socket.on('data', (d: string) => {
      text += d;
      if (!/^DONE$/m.test(text)) return;
      socket.destroy();
      resolve(text.split('\n').filter((l) => l.startsWith('MECH\t')).map((l) => l.split('\t')[1]!).sort());
    });
    socket.on('error', reject);
  });
}

/** What Dovecot's auth server said to one AUTH: OK with its fields, or FAIL. */
export interface AuthOutcome {
  readonly ok: boolean;
  /** The reply line (`OK\t1\tuser=...` or `FAIL\t1\t...`). */
  readonly line: string;
}

/**
 * One SASL exchange over Dovecot's auth client protocol, the one Postfix's smtpd speaks on
 * `smtpd_sasl_type = dovecot`: VERSION/CPID, then AUTH with the initial response. A CONT (the
 * XOAUTH2/OAUTHBEARER error challenge) is answered with an empty response, as clients must, and
 * ends in FAIL.
 */
export function saslAuth(socketPath: string, mechanism: string, initialResponse: string, service = 'smtp'): Promise<AuthOutcome> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = '';
    let sent = false;
    let answered = false;
    s.setTimeout(30_000, () => s.destroy(new Error('auth server did not answer')));
    s.on('error', reject);
    s.on('connect', () => s.write(`VERSION\t1\t2\nCPID\t${process.pid}\n`));
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (!sent && buf.includes('DONE\n')) {
        sent = true;
        s.write(`AUTH\t1\t${mechanism}\tservice=${service}\tnologin\tresp=${Buffer.from(initialResponse).toString('base64')}\n`);
      }
      for (const line of buf.split('\n')) {
        if (line.startsWith('CONT\t1\t') && !answered) {
          answered = true;
          s.write('CONT\t1\t\n');
        }
        if (line.startsWith('OK\t1') || line.startsWith('FAIL\t1')) {
          s.end();
          return resolve({ ok: line.startsWith('OK'), line });
        }
      }
    });
  });
}

/** The XOAUTH2 initial response (Google's format): `user=U ^A auth=Bearer T ^A ^A`. */
export function xoauth2Response(user: string, token: string): string {
  return `user=${user}\x01auth=Bearer ${token}\x01\x01`;
}

/** The OAUTHBEARER initial response (RFC 7628) naming the user as authzid. */
export function oauthbearerResponse(user: string, token: string): string {
  return `n,a=${user},\x01auth=Bearer ${token}\x01\x01`;
}
