import { lastAtSign } from '../directory/key-bytes.js';

/** Bytes of one slab: many batches of replies before a new one is allocated. */
const SLAB_BYTES = 64 * 1024;
/**
 * Frames from this size on are handed to the socket as they are (they are never written to
 * again): copying a 1,000-member list's 30 kB into slabs used one slab per two replies.
 */
const SHARED_FRAME_BYTES = 1024;

const COLON = 0x3a;
const COMMA = 0x2c;
const SLASH = 0x2f;
/** `OK ` */
const OK = [0x4f, 0x4b, 0x20] as const;

/**
 * Socketmap replies of one batch, netstring-framed straight into a shared slab, then handed to
 * `socket.write` as one slice: no Buffer per reply and one write per batch (large ready frames
 * go as they are, in order). A slice that was written is never written again (the socket may
 * still hold it), so the slab only moves forward and a new one starts when it is full. Batches
 * are built synchronously, so one writer serves every connection of the process.
 */
export class ReplyWriter {
  #buf = Buffer.allocUnsafe(SLAB_BYTES);
  #start = 0;
  #pos = 0;
  /** What comes before the slab's pending bytes in this batch: slab slices and large frames. */
  #pieces: Buffer[] = [];
  #piecesBytes = 0;

  /** Appends a ready netstring (one that is never modified afterwards). */
  frame(frame: Buffer): void {
    if (frame.length >= SHARED_FRAME_BYTES) {
      this.#cut();
      this.#pieces.push(frame);
      this.#piecesBytes += frame.length;
      return;
    }
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
    const at = lastAtSign(b, from, to);
    this.#ensure(to - from + 13);
    this.#head(to - from + 4);
    const buf = this.#buf;
    this.#copy(b, at + 1, to);
    buf[this.#pos++] = SLASH;
    this.#copy(b, from, at);
    buf[this.#pos++] = SLASH;
    buf[this.#pos++] = COMMA;
  }

  /** Appends `<len>:OK <b[from..at]><s[sFrom..sTo]><b[at..to]>,` where `at` is the address's last '@'. */
  okSuffixed(b: Buffer, from: number, to: number, s: Buffer, sFrom: number, sTo: number): void {
    const at = lastAtSign(b, from, to);
    const payload = to - from + sTo - sFrom + 3;
    this.#ensure(payload + 9);
    this.#head(payload);
    this.#copy(b, from, at);
    this.#copy(s, sFrom, sTo);
    this.#copy(b, at, to);
    this.#buf[this.#pos++] = COMMA;
  }

  /** Bytes appended since the last {@link writeTo}. */
  get pendingBytes(): number {
    return this.#piecesBytes + this.#pos - this.#start;
  }

  /** Drops what was appended after {@link pendingBytes} was `mark` (a reply that failed half-way). */
  rewind(mark: number): void {
    if (mark >= this.#piecesBytes) {
      this.#pos = this.#start + mark - this.#piecesBytes;
      return;
    }
    this.#pos = this.#start;
    while (this.#piecesBytes > mark) {
      const piece = this.#pieces.pop()!;
      this.#piecesBytes -= piece.length;
      // A piece that began before the mark keeps its head.
      if (this.#piecesBytes < mark) this.#pieces.push(piece.subarray(0, mark - this.#piecesBytes)), (this.#piecesBytes = mark);
    }
  }

  /** Hands the replies appended since the last call to `sink.write`, in order (nothing when none). */
  writeTo(sink: { write(chunk: Buffer): unknown }): void {
    if (this.#pieces.length > 0) {
      this.#cut();
      for (const piece of this.#pieces) sink.write(piece);
      this.#pieces = [];
      this.#piecesBytes = 0;
    } else if (this.#pos > this.#start) {
      sink.write(this.#buf.subarray(this.#start, this.#pos));
      this.#start = this.#pos;
    }
  }

  /** Ends the slab's pending bytes as a piece of their own, so a large frame can follow them. */
  #cut(): void {
    if (this.#pos === this.#start) return;
    this.#pieces.push(this.#buf.subarray(this.#start, this.#pos));
    this.#piecesBytes += this.#pos - this.#start;
    this.#start = this.#pos;
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
