import { ProtocolError } from './protocol-error.js';

/**
 * Longest dict line accepted, LF excluded. Dovecot's own dict server refuses client lines above
 * DICT_CLIENT_MAX_LINE_LENGTH = 64 KiB (dict-connection.c input_max_size); keys and paths come
 * nowhere near it.
 */
export const DEFAULT_MAX_DICT_LINE_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Incremental `\n` line framing, pull style: `push()` a chunk as it arrives, then call
 * `nextLine()` until it answers undefined. Pulling lets a connection stop between two lines
 * (an iteration waiting for the socket to drain) without losing or reordering anything.
 *
 * The cap is enforced before a partial line is copied into the carry-over buffer, so a peer that
 * never sends LF cannot make us hold more than `maxLineBytes`.
 */
export class DictLineDecoder {
  readonly #maxLineBytes: number;
  /** The chunk being read and the read position in it. */
  #chunk: Buffer = Buffer.alloc(0);
  #cursor = 0;
  /** Start of a line that began in an earlier chunk. */
  #carry: Buffer | undefined;

  /** @param maxLineBytes longest line accepted, default {@link DEFAULT_MAX_DICT_LINE_BYTES} */
  constructor(maxLineBytes = DEFAULT_MAX_DICT_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** True when no partial line is held: the peer may close here without losing a command. */
  get idle(): boolean {
    return this.#carry === undefined && this.#cursor >= this.#chunk.length;
  }

  /** Adds received bytes; read them with {@link nextLine}. */
  push(chunk: Buffer): void {
    if (this.#cursor < this.#chunk.length) {
      // Only when the caller paused between lines: keep the unread lines ahead of the new ones.
      this.#chunk = Buffer.concat([this.#chunk.subarray(this.#cursor), chunk]);
    } else {
      // pg-protocol's fast path: adopt the chunk, copy nothing.
      this.#chunk = chunk;
    }
    this.#cursor = 0;
  }

  /**
   * The next complete line, decoded as UTF-8 without its LF (and without a CR before it, as
   * Dovecot's istream accepts CRLF), or undefined when more bytes are needed. Throws
   * {@link ProtocolError} `DICT_LINE_TOO_LONG` for a line above the cap.
   */
  nextLine(): string | undefined {
    const chunk = this.#chunk;
    const start = this.#cursor;
    const lf = chunk.indexOf(LF, start);
    const carried = this.#carry?.length ?? 0;
    if (lf < 0) {
      // +1: the partial line may end with the CR of a CRLF, which does not count.
      if (carried + chunk.length - start > this.#maxLineBytes + 1) throw this.#tooLong();
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        this.#carry = this.#carry ? Buffer.concat([this.#carry, rest]) : Buffer.from(rest);
      }
      this.#cursor = chunk.length;
      return undefined;
    }
    // Checked before the concat below copies anything; a CR before the LF does not count.
    const crlf = lf > start ? chunk[lf - 1] === CR : this.#carry?.[carried - 1] === CR;
    if (carried + lf - start - (crlf ? 1 : 0) > this.#maxLineBytes) throw this.#tooLong();
    this.#cursor = lf + 1;
    let line = chunk.subarray(start, lf);
    if (this.#carry) {
      line = Buffer.concat([this.#carry, line]);
      this.#carry = undefined;
    }
    return line.toString('utf8', 0, crlf ? line.length - 1 : line.length);
  }

  #tooLong(): ProtocolError {
    return new ProtocolError('DICT_LINE_TOO_LONG', `dict line longer than the ${this.#maxLineBytes}-byte limit`);
  }
}
