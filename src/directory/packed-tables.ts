/**
 * The growable tables a packed layer is built from. Both live off the JS heap (typed arrays and
 * Buffers), so building a million entries leaves the collector no array of numbers or strings to
 * copy and mark as it grows: only the entries being read are heap objects.
 */

import type { Steps } from './build-steps.js';

/** Bytes a sealing step copies: a few milliseconds of memcpy. */
const COPY_STEP = 8 << 20;

/** Int32 values in 32 MB, glibc's largest mmap threshold: a block this big is always mapped. */
const MMAPPED_INTS = (32 << 20) / 4;

/** Int32 values appended one by one, in a typed array that doubles when full. */
export class IntList {
  // Small to start: a follower builds a layer of a handful of entries per change, and a few more
  // doublings cost a big build nothing.
  #values = new Int32Array(64);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(v: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Int32Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = v;
  }

  at(i: number): number {
    return this.#values[i]!;
  }

  /** Makes room for `n` values in all, at once, so a big build does not grow by copies. */
  reserve(n: number, room: Int32Array<ArrayBuffer> = new Int32Array(n)): void {
    if (n <= this.#values.length) return;
    room.set(this.#values.subarray(0, this.#length));
    this.#values = room;
  }

  /**
   * {@link reserve} for lists that are dropped together after a build, as views of one block of
   * at least 32 MB (glibc's largest mmap threshold; pages never touched cost nothing), which glibc
   * maps and returns to the system when they go: blocks of a few MB each stayed in its heap.
   * Only blocks of 4 MB and more are rounded up: V8 counts the whole block as external memory,
   * and at 100k mailboxes two rounded blocks set off collections (a 25 ms stall in a sliced
   * build) for room the build never touched.
   */
  static reserveDropped(lists: readonly IntList[], n: number): void {
    if (lists.every((l) => n <= l.#values.length)) return;
    const ints = lists.length * n;
    const block = new Int32Array(ints >= MMAPPED_INTS / 8 ? Math.max(ints, MMAPPED_INTS) : ints);
    lists.forEach((l, i) => l.reserve(n, block.subarray(i * n, (i + 1) * n)));
  }

  /** The values, trimmed to their length, with `extra` zeroed slots after them. */
  seal(extra = 0): Int32Array {
    // Reserved exactly: the values are the table, with no copy left behind.
    if (this.#values.length === this.#length + extra) return this.#values.fill(0, this.#length);
    const out = new Int32Array(this.#length + extra);
    out.set(this.#values.subarray(0, this.#length));
    return out;
  }
}

/**
 * Strings packed as UTF-8 into one growing Buffer with an offset per string, each written by one
 * Buffer#write (measured: faster than batching them into joined strings, which also left the
 * collector large strings to copy, and than a JavaScript copy loop over strings decoded from Redis).
 */
export class ByteTable {
  #buf = Buffer.allocUnsafeSlow(1 << 10);
  #offsets = new IntList();
  #end = 0;

  constructor() {
    this.#offsets.push(0);
  }

  get count(): number {
    return this.#offsets.length - 1;
  }

  push(s: string): void {
    // At most 3 bytes per UTF-16 unit; near the end of the room, count them (a reserved table is
    // filled to the byte).
    if (this.#end + 3 * s.length > this.#buf.length) this.#room(Buffer.byteLength(s, 'utf8'));
    this.#end += this.#buf.write(s, this.#end, 'utf8');
    this.#offsets.push(this.#end);
  }

  /** Pushes the UTF-8 string held in `b[from..to]`. */
  pushBytes(b: Buffer, from: number, to: number): void {
    this.#room(to - from);
    // Keys are a few bytes: a loop beats a native copy's call there; a whole entry is one set().
    if (from === 0 && to === b.length) this.#buf.set(b, this.#end), (this.#end += to);
    else for (let i = from; i < to; i++) this.#buf[this.#end++] = b[i]!;
    this.#offsets.push(this.#end);
  }

  /** Makes room for `bytes` more in `strings` more strings at once (the caller knows about how much is coming), so the table does not grow by copies. */
  reserve(bytes: number, strings = 0): void {
    this.#room(bytes);
    this.#offsets.reserve(this.#offsets.length + strings);
  }

  /** String i. */
  text(i: number): string {
    return this.#buf.toString('utf8', this.#offsets.at(i), this.#offsets.at(i + 1));
  }

  #room(bytes: number): void {
    if (this.#end + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#end + bytes, this.#buf.length * 2));
    this.#buf.copy(grown, 0, 0, this.#end);
    this.#buf = grown;
  }

  /** The strings as they are, spare room included: for a table read once and dropped. */
  view(): SealedBytes {
    return { bytes: this.#buf, offsets: this.#offsets.seal() };
  }

  /**
   * Trims the spare room: the table is read-only from here on. The copy goes {@link COPY_STEP}
   * bytes a step (at a million entries it is about a hundred megabytes).
   */
  *sealSteps(): Steps<SealedBytes> {
    const offsets = this.#offsets.seal();
    // Filled exactly as reserved: nothing to trim.
    if (this.#end === this.#buf.length) return { bytes: this.#buf, offsets };
    const bytes = Buffer.allocUnsafeSlow(this.#end);
    for (let at = 0; at < this.#end; at += COPY_STEP) {
      this.#buf.copy(bytes, at, at, Math.min(this.#end, at + COPY_STEP));
      yield;
    }
    return { bytes, offsets };
  }
}

/** A sealed {@link ByteTable}: string i is `bytes[offsets[i]..offsets[i + 1]]`. */
export interface SealedBytes {
  readonly bytes: Buffer;
  readonly offsets: Int32Array;
}
