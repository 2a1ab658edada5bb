import { ProtocolError } from './protocol-error.js';

/**
 * Default cap on a netstring payload. Postfix refuses socketmap *replies* above 100000 bytes
 * (socketmap_table(5), DICT_SOCKMAP_DEF_MAX_REPLY); applying the same cap to requests is our
 * choice: no legitimate lookup key comes anywhere near it.
 */
export const DEFAULT_MAX_NETSTRING_BYTES = 100_000;

const COLON = 0x3a;
const COMMA = 0x2c;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const enum State {
  Length,
  Payload,
  Comma,
}

/**
 * Streaming netstring decoder (`<len>:<payload>,`). Feed it chunks as they arrive; it returns
 * every complete payload. It refuses a length above the cap while still reading the digits, so
 * an oversize frame is rejected before a single payload byte is buffered.
 */
export class NetstringDecoder {
  readonly #maxBytes: number;
  readonly #maxDigits: number;
  #state = State.Length;
  #digits = 0;
  #length = 0;
  #payload: Buffer | undefined;
  #filled = 0;

  /** @param maxBytes largest payload accepted, default {@link DEFAULT_MAX_NETSTRING_BYTES} */
  constructor(maxBytes = DEFAULT_MAX_NETSTRING_BYTES) {
    this.#maxBytes = maxBytes;
    this.#maxDigits = String(maxBytes).length;
  }

  /** True when no partial frame is held, i.e. the peer may close here without losing data. */
  get idle(): boolean {
    return this.#state === State.Length && this.#digits === 0;
  }

  /**
   * Decodes as many frames as `chunk` completes and appends them to `out` (a new array by
   * default), which it returns. Throws {@link ProtocolError} on bad input; the frames completed
   * before the bad byte are already in `out` then, so a server can still answer them.
   */
  push(chunk: Buffer, out: Buffer[] = []): Buffer[] {
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === State.Length) {
        i = this.#readLength(chunk, i);
      } else if (this.#state === State.Payload) {
        i = this.#readPayload(chunk, i);
      } else {
        if (chunk[i] !== COMMA) {
          throw new ProtocolError('NETSTRING_MISSING_COMMA', `netstring not terminated by ',' (got byte 0x${chunk[i]!.toString(16)})`);
        }
        i++;
        out.push(this.#payload!);
        this.#reset();
      }
    }
    return out;
  }

  #readLength(chunk: Buffer, start: number): number {
    for (let i = start; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === COLON) {
        if (this.#digits === 0) throw new ProtocolError('NETSTRING_BAD_LENGTH', 'netstring length is empty');
        this.#state = State.Payload;
        this.#payload = undefined;
        this.#filled = 0;
        return i + 1;
      }
      if (c < DIGIT_0 || c > DIGIT_9) {
        throw new ProtocolError('NETSTRING_BAD_LENGTH', `netstring length holds a non-digit (byte 0x${c.toString(16)})`);
      }
      // "0:" is the empty netstring; "01:" is not canonical and is refused, as djb's spec says.
      if (this.#digits === 1 && this.#length === 0) {
        throw new ProtocolError('NETSTRING_BAD_LENGTH', 'netstring length has a leading zero');
      }
      this.#digits++;
      this.#length = this.#length * 10 + (c - DIGIT_0);
      if (this.#digits > this.#maxDigits || this.#length > this.#maxBytes) {
        throw new ProtocolError('NETSTRING_TOO_LONG', `netstring longer than the ${this.#maxBytes}-byte limit`);
      }
    }
    return chunk.length;
  }

  #readPayload(chunk: Buffer, start: number): number {
    const need = this.#length - this.#filled;
    const available = chunk.length - start;
    // Fast path: the whole payload is in this chunk, so no copy is needed.
    if (this.#filled === 0 && available >= need) {
      this.#payload = chunk.subarray(start, start + need);
      this.#state = State.Comma;
      return start + need;
    }
    this.#payload ??= Buffer.allocUnsafe(this.#length);
    const take = Math.min(need, available);
    chunk.copy(this.#payload, this.#filled, start, start + take);
    this.#filled += take;
    if (this.#filled === this.#length) this.#state = State.Comma;
    return start + take;
  }

  #reset(): void {
    this.#state = State.Length;
    this.#digits = 0;
    this.#length = 0;
    this.#payload = undefined;
    this.#filled = 0;
  }
}

/** Frames one payload as a netstring. */
export function encodeNetstring(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = `${body.length}:`;
  const out = Buffer.allocUnsafe(head.length + body.length + 1);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  out[out.length - 1] = COMMA;
  return out;
}
