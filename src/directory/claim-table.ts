import { hashBytes, sameBytes } from './key-bytes.js';

/** Hash of a key's UTF-8 bytes `b[from..to]`. */
export type KeyHash = (b: Uint8Array, from: number, to: number) => number;

/**
 * Which entry claimed each address during one build: key -> non-negative integer, in an
 * open-addressing table over typed arrays. A `Map<string, number>` of the two million keys of a
 * million mailboxes cost over a second of inserts and much of the build's garbage collection.
 * Keys are kept as UTF-8 bytes in one Buffer, so a key can be claimed straight from the bytes of a
 * stored entry (a warm start from Redis) without making a string, and a string key and the same
 * key as bytes meet. Each key's hash is kept, so growing rehashes without reading the keys again.
 */
export class ClaimTable {
  readonly #hash: KeyHash;
  /**
   * Slot s is slots[2s] (the key's hash) and slots[2s + 1] (claim number + 1; 0 is empty): a probe
   * reads one place, and a key's bytes only when the hashes match.
   */
  #slots: Int32Array<ArrayBuffer>;
  #bytes = Buffer.allocUnsafeSlow(1 << 16);
  #end = 0;
  /** Key c is bytes[starts[c]..starts[c + 1]]. */
  #starts: Int32Array<ArrayBuffer>;
  #hashes: Int32Array<ArrayBuffer>;
  #values: Int32Array<ArrayBuffer>;
  #count = 0;

  /** `expected` keys fit without growing; `hash` is replaceable so tests can force collisions. */
  constructor(expected = 512, hash: KeyHash = hashBytes) {
    this.#hash = hash;
    let size = 1024;
    while (size < 2 * expected) size *= 2;
    this.#slots = new Int32Array(2 * size);
    this.#starts = new Int32Array(size / 2 + 1);
    this.#hashes = new Int32Array(size / 2);
    this.#values = new Int32Array(size / 2);
  }

  /** Number of keys claimed. */
  get size(): number {
    return this.#count;
  }

  /** The value claimed for `key`, or -1. */
  get(key: string): number {
    const [from, to] = this.#stage(key);
    const n = this.#slots[2 * this.#find(this.#bytes, from, to, this.#hash(this.#bytes, from, to)) + 1]!;
    return n === 0 ? -1 : this.#values[n - 1]!;
  }

  /** Claims `key` for `value` (≥ 0) unless already claimed; returns the earlier value, or -1 when this claim won. */
  claim(key: string, value: number): number {
    const [from, to] = this.#stage(key);
    return this.claimBytes(this.#bytes, from, to, this.#hash(this.#bytes, from, to), value);
  }

  /** {@link claim} for the key held in `b[from..to]`, whose hash is `h`. */
  claimBytes(b: Uint8Array, from: number, to: number, h: number, value: number): number {
    const slot = this.#find(b, from, to, h);
    const n = this.#slots[2 * slot + 1]!;
    if (n !== 0) return this.#values[n - 1]!;
    const c = this.#count;
    if (c === this.#values.length) this.#growEntries();
    if (b !== this.#bytes) {
      this.#room(to - from);
      // Keys are a few bytes: a loop beats a subarray and a native copy.
      for (let i = from; i < to; i++) this.#bytes[this.#end++] = b[i]!;
    } else this.#end += to - from;
    this.#starts[c + 1] = this.#end;
    this.#hashes[c] = h;
    this.#values[c] = value;
    this.#slots[2 * slot] = h;
    this.#slots[2 * slot + 1] = ++this.#count;
    // At most half full, so probe runs stay short.
    if (4 * this.#count > this.#slots.length) this.#rehash(this.#slots.length);
    return -1;
  }

  /** Writes a string key after the stored ones (kept only if it is claimed); returns its range. */
  #stage(key: string): [number, number] {
    this.#room(3 * key.length);
    return [this.#end, this.#end + this.#bytes.write(key, this.#end, 'utf8')];
  }

  #room(bytes: number): void {
    if (this.#end + bytes <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#end + bytes, 2 * this.#bytes.length));
    this.#bytes.copy(grown, 0, 0, this.#end);
    this.#bytes = grown;
  }

  /** Slot holding the key in `b[from..to]`, or the empty slot where it would go. */
  #find(b: Uint8Array, from: number, to: number, h: number): number {
    const slots = this.#slots;
    const mask = slots.length / 2 - 1;
    const len = to - from;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const n = slots[2 * slot + 1]!;
      if (n === 0) return slot;
      if (slots[2 * slot] !== (h | 0)) continue;
      const start = this.#starts[n - 1]!;
      if (this.#starts[n]! - start === len && sameBytes(b, from, to, this.#bytes, start)) return slot;
    }
  }

  #growEntries(): void {
    const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#starts = grow(this.#starts);
    this.#hashes = grow(this.#hashes);
    this.#values = grow(this.#values);
  }

  /** Doubles the table to `size` slots. */
  #rehash(size: number): void {
    const slots = new Int32Array(2 * size);
    const mask = size - 1;
    for (let c = 0; c < this.#count; c++) {
      const h = this.#hashes[c]!;
      let slot = h & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = h;
      slots[2 * slot + 1] = c + 1;
    }
    this.#slots = slots;
  }
}
