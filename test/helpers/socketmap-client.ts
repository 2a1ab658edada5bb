import { connect, type Socket } from 'node:net';
import { encodeNetstring, NetstringDecoder } from '../../protocol/netstring.js';
import type { Endpoint } from '../../src/config/formats.js';

/** A socketmap client built on our own codec: send frames, read replies in order. */
export interface SocketmapClient {
  readonly socket: Socket;
  /** Sends `NAME KEY` and resolves with the reply payload. */
  query(name: string, key: string): Promise<string>;
  /** Sends raw bytes (for malformed-input tests). */
  writeRaw(bytes: Buffer | string): void;
  /** Resolves with the next reply payload. */
  next(): Promise<string>;
  /** Resolves when the server closes the connection. */
  closed(): Promise<void>;
  close(): void;
}

/** Connects to a TCP or UNIX endpoint. */
export async function socketmapClient(ep: Endpoint): Promise<SocketmapClient> {
  const socket = ep.kind === 'unix' ? connect(ep.path) : connect(ep.port, ep.host);
  const decoder = new NetstringDecoder(1_000_000);
  const replies: string[] = [];
  const waiting: ((s: string) => void)[] = [];
  let ended = false;
  const closedWaiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) {
      const w = waiting.shift();
      if (w) w(f.toString('utf8'));
      else replies.push(f.toString('utf8'));
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    ended = true;
    closedWaiters.splice(0).forEach((r) => r());
    waiting.splice(0).forEach((w) => w('<closed>'));
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const next = (): Promise<string> =>
    replies.length > 0 ? Promise.resolve(replies.shift()!) : ended ? Promise.resolve('<closed>') : new Promise((r) => waiting.push(r));
  return {
    socket,
    next,
    query: (name, key) => {
      socket.write(encodeNetstring(`${name} ${key}`));
      return next();
    },
    writeRaw: (bytes) => void socket.write(bytes),
    closed: () => (ended ? Promise.resolve() : new Promise((r) => closedWaiters.push(r))),
    close: () => void socket.destroy(),
  };
}
