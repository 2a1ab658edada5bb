/** Bytes of one slab: many batches of replies before a new one is allocated. */
const SLAB_BYTES = 64 * 1024;

const COLON = 0x3a;
const COMMA = 0x2c;
const SLASH = 0x2f;
const AT = 0x40;
/** `OK ` */
const OK = [0x4f, 0x4b, 0x20] as const;

/**
 * Socketmap replies of one batch, netstring-framed straight into a shared slab, then handed to
 * `socket.write` as one slice: no Buffer per reply and one write per batch. A slice that was
 * taken is never written again (the socket may still hold it), so the slab only moves forward
 * and a new one starts when it is full. Batches are built synchronously, so one writer serves
 * every connection of the process.
 */
export class ReplyWriter {
  #buf = Buffer.allocUnsafe(SLAB_BYTES);
  #start = 0;
  #pos = 0;

  /** Appends a ready netstring. */
  frame(frame: Buffer): void {
    this.#ensure(frame.length);
    this.#pos += frame.copy(this.#buf, this.#pos);
  }

  /** Appends `<len>:OK <b[from..to]>,`. */
  ok(b: Buffer, from: number, to: number): void {
    this.#ensure(to - from + 12);
    this.#head(to - from + 3);
    this.#copy(b, from, to);
    this.#buf[this.#pos++] = COMMA;
  }

  /** Appends `<len>:OK domain/local/,` for the address key `b[from..to]` (virtual_mailbox_maps). */
  okMailbox(b: Buffer, from: number, to: number): void {
    let at = to - 1;
    while (at > from && b[at] !== AT) at--;
    this.#ensure(to - from + 13);
    this.#head(to - from + 4);
    const buf = this.#buf;
    this.#copy(b, at + 1, to);
    buf[this.#pos++] = SLASH;
    this.#copy(b, from, at);
    buf[this.#pos++] = SLASH;
    buf[this.#pos++] = COMMA;
  }

  /** Bytes appended since the last {@link take}. */
  get pendingBytes(): number {
    return this.#pos - this.#start;
  }

  /** Drops what was appended after {@link pendingBytes} was `mark` (a reply that failed half-way). */
  rewind(mark: number): void {
    this.#pos = this.#start + mark;
  }

  /** The replies appended since the last call, as one slice; undefined when there are none. */
  take(): Buffer | undefined {
    if (this.#pos === this.#start) return undefined;
    const out = this.#buf.subarray(this.#start, this.#pos);
    this.#start = this.#pos;
    return out;
  }

  /** Writes `<payload length>:OK ` (the caller reserved room for it). */
  #head(payloadBytes: number): void {
    const buf = this.#buf;
    let digits = 1;
    for (let n = payloadBytes; n >= 10; n = Math.floor(n / 10)) digits++;
    for (let i = digits - 1, n = payloadBytes; i >= 0; i--, n = Math.floor(n / 10)) buf[this.#pos + i] = 0x30 + (n % 10);
    this.#pos += digits;
    buf[this.#pos++] = COLON;
    for (const c of OK) buf[this.#pos++] = c;
  }

  /** Copies a key's bytes: a JS loop, since for a few dozen bytes Buffer#copy's native call costs more. */
  #copy(b: Buffer, from: number, to: number): void {
    const buf = this.#buf;
    let pos = this.#pos;
    for (let i = from; i < to; i++) buf[pos++] = b[i]!;
    this.#pos = pos;
  }

  /** Room for `n` more bytes; a full slab is replaced, carrying over the batch begun in it. */
  #ensure(n: number): void {
    if (this.#buf.length - this.#pos >= n) return;
    const pending = this.#pos - this.#start;
    const next = Buffer.allocUnsafe(Math.max(SLAB_BYTES, pending + n));
    this.#buf.copy(next, 0, this.#start, this.#pos);
    this.#buf = next;
    this.#start = 0;
    this.#pos = pending;
  }
}
