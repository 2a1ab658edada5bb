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
