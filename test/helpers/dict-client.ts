import { connect, type Socket } from 'node:net';
import { DictLineDecoder } from '../../protocol/dict-lines.js';
import { replyStream } from './reply-stream.js';

/** A line-level dict client built on our own framing: write raw lines, read reply lines in order. */
export interface DictClient {
  readonly socket: Socket;
  /** Sends bytes as they are (several lines, partial lines, garbage). */
  write(bytes: string | Buffer): void;
  /** The next reply line without its LF, or `<closed>` once the server has closed. */
  next(): Promise<string>;
  /** Reads iteration rows up to and including the empty terminator (or an F line). */
  rows(): Promise<string[]>;
  /** Resolves when the server closes the connection. */
  closed(): Promise<void>;
  close(): void;
}

/** The HELLO a Dovecot 2.3.17+ client sends. */
export const HELLO_23 = 'H3\t2\t0\t\tmailroster\n';

/** Connects to a UNIX socket path. */
export async function dictClient(path: string): Promise<DictClient> {
  const socket = connect(path);
  // Replies may be far longer than requests (an iteration row with a JSON value).
  const decoder = new DictLineDecoder(16 * 1024 * 1024);
  const { next, closed } = await replyStream(socket, (chunk) => {
    decoder.push(chunk);
    const lines: string[] = [];
    for (let l = decoder.nextLine(); l !== undefined; l = decoder.nextLine()) lines.push(l);
    return lines;
  });
  return {
    socket,
    next,
    write: (bytes) => void socket.write(bytes),
    rows: async () => {
      const out: string[] = [];
      for (;;) {
        const l = await next();
        out.push(l);
        if (l === '' || l.startsWith('F') || l === '<closed>') return out;
      }
    },
    closed,
    close: () => void socket.destroy(),
  };
}
