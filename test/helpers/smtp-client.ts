import { connect, type Socket } from 'node:net';

/** One SMTP reply: the code and the text of its lines. */
export interface SmtpReply {
  readonly code: number;
  readonly text: string;
}

/** A minimal SMTP client for tests: one command, one (possibly multi-line) reply. */
export interface SmtpSession {
  readonly greeting: SmtpReply;
  command(line: string): Promise<SmtpReply>;
  close(): Promise<void>;
}

/** Opens a session on 127.0.0.1:port (or a UNIX socket path, e.g. LMTP) and reads the greeting. */
export async function smtpSession(port: number | string): Promise<SmtpSession> {
  const socket = typeof port === 'string' ? connect(port) : connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  let waiter: (() => void) | undefined;
  let failure: Error | undefined;
  socket.on('data', (d: string) => ((buffer += d), waiter?.()));
  socket.on('error', (err) => ((failure = err), waiter?.()));
  socket.on('close', () => ((failure ??= new Error('connection closed')), waiter?.()));

  const readReply = async (): Promise<SmtpReply> => {
    for (;;) {
      // A reply ends with a line whose fourth character is a space: "250 ok" after "250-...".
      const m = /(?:^|\n)(\d{3}) [^\n]*\n/.exec(buffer);
      if (m) {
        const end = m.index + m[0].length;
        const text = buffer.slice(0, end).trim();
        buffer = buffer.slice(end);
        return { code: Number(m[1]), text };
      }
      if (failure) throw failure;
      await new Promise<void>((r) => (waiter = r));
    }
  };
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const greeting = await readReply();
  return {
    greeting,
    command: async (line) => {
      socket.write(`${line}\r\n`);
      return readReply();
    },
    close: () => closeSocket(socket),
  };
}

async function closeSocket(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  socket.end('QUIT\r\n');
  await new Promise<void>((r) => {
    socket.once('close', () => r());
    setTimeout(() => (socket.destroy(), r()), 1000).unref();
  });
}

/** RCPT TO replies (code and enhanced status, e.g. `250 2.1.5`) for each recipient, one transaction from a remote sender. */
export async function rcptCodes(port: number, recipients: string[]): Promise<Record<string, string>> {
  const s = await smtpSession(port);
  await s.command('EHLO client.test');
  await s.command('MAIL FROM:<sender@remote.test>');
  const out: Record<string, string> = {};
  for (const r of recipients) out[r] = (await s.command(`RCPT TO:<${r}>`)).text.slice(0, 9);
  await s.close();
  return out;
}
