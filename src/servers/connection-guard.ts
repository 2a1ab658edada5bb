import type { Socket } from 'node:net';

/** How long a closing connection may take to hand over its last replies before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;

/**
 * Requests (socketmap frames, dict lines) answered in one turn of the event loop before a
 * connection yields to the others: one client's burst then delays everyone else by one batch,
 * a fraction of a millisecond, instead of by the whole burst.
 */
export const REQUESTS_PER_TURN = 64;

/**
 * Reply bytes written in one turn before yielding, and the reason a connection stops early: past
 * this the socket's buffer is full anyway, and the next batch waits for 'drain'.
 */
export const REPLY_BYTES_PER_TURN = 64 * 1024;

/**
 * Ends our side after what is already written, and destroys the socket if the peer has not taken
 * it within `graceMs`: `end()` alone never completes against a client that stopped reading, and
 * `destroy()` alone can drop the last replies.
 */
export function endGracefully(socket: Socket, graceMs = CLOSE_GRACE_MS): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), graceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * A clock for one incomplete request. The idle timeout is reset by every byte, so a client that
 * sends one byte every few seconds (slowloris) would hold its connection forever without this:
 * a request that has started must be complete within `ms`.
 */
export class RequestDeadline {
  readonly #ms: number;
  readonly #onExpire: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, onExpire: () => void) {
    this.#ms = ms;
    this.#onExpire = onExpire;
  }

  /** Starts the clock when a request is partly read (`partial`), stops it when none is. */
  update(partial: boolean): void {
    if (!partial) return this.stop();
    if (this.#timer || this.#ms <= 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onExpire();
    }, this.#ms);
    this.#timer.unref();
  }

  stop(): void {
    // Called after every read: most of the time no clock runs.
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A connection's idle timeout, checked every half timeout instead of re-armed on every read and
 * every write as `socket.setTimeout` does (about 80 ns each, twice a request: a few percent of the
 * server's CPU at full load). The connection calls {@link touch} whenever it makes progress (data
 * read, a write drained); the second check in a row that finds no touch fires, so a connection
 * that went quiet is closed between one and one and a half timeouts later. 0 disables it.
 */
export class IdleTimer {
  readonly #onIdle: () => void;
  #timer: NodeJS.Timeout | undefined;
  #touched = true;
  #quiet = 0;

  constructor(ms: number, onIdle: () => void) {
    this.#onIdle = onIdle;
    if (ms <= 0) return;
    this.#timer = setInterval(() => this.#check(), ms / 2);
    this.#timer.unref();
  }

  /** The connection did something: it is not idle. */
  touch(): void {
    this.#touched = true;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    if (this.#touched) {
      this.#touched = false;
      this.#quiet = 0;
    } else if (++this.#quiet >= 2) {
      this.stop();
      this.#onIdle();
    }
  }
}

/** What a protocol handler gives its listener for a graceful shutdown. */
export interface ServedConnection {
  /** Stops reading, answers what was already received, then closes. */
  shutdown(): void;
}
