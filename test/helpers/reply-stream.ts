import type { Socket } from 'node:net';

/** Replies read off a socket, handed out one at a time in arrival order. */
export interface ReplyStream {
  /** The next reply, or `<closed>` once the server has closed. */
  next(): Promise<string>;
  /** Resolves when the server closes the connection. */
  closed(): Promise<void>;
}

/**
 * Connects `socket` (already created) and queues every reply that `split` finds in the incoming
 * chunks; the test clients of both protocols differ only in `split`.
 */
export async function replyStream(socket: Socket, split: (chunk: Buffer) => string[]): Promise<ReplyStream> {
  const replies: string[] = [];
  const waiting: ((reply: string) => void)[] = [];
  const closedWaiters: (() => void)[] = [];
  let ended = false;
  socket.on('data', (chunk: Buffer) => {
    for (const reply of split(chunk)) {
      const w = waiting.shift();
      if (w) w(reply);
      else replies.push(reply);
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    ended = true;
    closedWaiters.splice(0).forEach((r) => r());
    waiting.splice(0).forEach((w) => w('<closed>'));
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return {
    next: () =>
      replies.length > 0 ? Promise.resolve(replies.shift()!) : ended ? Promise.resolve('<closed>') : new Promise((r) => waiting.push(r)),
    closed: () => (ended ? Promise.resolve() : new Promise((r) => closedWaiters.push(r))),
  };
}
