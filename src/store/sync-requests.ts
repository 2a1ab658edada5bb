import type { RedisClient } from './redis-scripts.js';

/** Provider work only the sync leader does, asked for by a server that is not the leader. */
export type SyncRequest = { readonly kind: 'user'; readonly id: string } | { readonly kind: 'changes' };

/** Passes {@link SyncRequest}s between the servers of a shared store. */
export interface SyncRequestChannel {
  /** Asks the leader, best effort: a request lost on the way is covered by the leader's own change polls. */
  send(request: SyncRequest): void;
  /** Calls `listener` for each request any server sends; returns a function that unsubscribes. */
  onRequest(listener: (request: SyncRequest) => void): () => void;
}

/** Longest provider id passed on (Authentik's are integers, Keycloak's UUIDs). */
const MAX_ID_LENGTH = 256;

/**
 * The channel over Redis pub/sub: a webhook that reached a follower (another server, or another
 * worker of this one) is published, and the leader, subscribed like every server, does the work.
 */
export class RedisSyncRequests implements SyncRequestChannel {
  readonly #client: RedisClient;
  readonly #channel: string;
  readonly #listeners = new Set<(request: SyncRequest) => void>();

  constructor(client: RedisClient, channel: string) {
    this.#client = client;
    this.#channel = channel;
  }

  /** The pub/sub channel the subscriber must follow and hand to {@link receive}. */
  get channel(): string {
    return this.#channel;
  }

  send(request: SyncRequest): void {
    this.#client.publish(this.#channel, JSON.stringify(request)).catch(() => undefined);
  }

  onRequest(listener: (request: SyncRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A message from the channel: anything but a well-formed request is ignored. */
  receive(message: string): void {
    const request = parseRequest(message);
    if (request) for (const l of this.#listeners) l(request);
  }
}

function parseRequest(message: string): SyncRequest | undefined {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { kind, id } = v as { kind?: unknown; id?: unknown };
  if (kind === 'changes') return { kind };
  if (kind === 'user' && typeof id === 'string' && id !== '' && id.length <= MAX_ID_LENGTH) return { kind, id };
  return undefined;
}
