import { connect, type Socket } from 'node:net';
import { encodeNetstring, NetstringDecoder } from '../../protocol/netstring.js';
import type { Endpoint } from '../../src/config/formats.js';
import { replyStream } from './reply-stream.js';

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
  const { next, closed } = await replyStream(socket, (chunk) => decoder.push(chunk).map((f) => f.toString('utf8')));
  return {
    socket,
    next,
    query: (name, key) => {
      socket.write(encodeNetstring(`${name} ${key}`));
      return next();
    },
    writeRaw: (bytes) => void socket.write(bytes),
    closed,
    close: () => void socket.destroy(),
  };
}
