import { hashBytes, hashString, sameAscii, sameBytes } from './key-bytes.js';

const NO_BYTES = new Uint8Array(0);

/** Hash of a key given as UTF-8 bytes `b[from..to]`. */
export type KeyHash = (b: Uint8Array, from: number, to: number) => number;

/**
 * Which entry claimed each address during one build: key -> non-negative integer, in an
 * open-addressing table over typed arrays. A `Map<string, number>` of the two million keys of a
 * million mailboxes cost over a second of inserts and much of the build's garbage collection.
 * A key is claimed as a string (parsed entries: the table keeps a reference to it) or as
 * canonical ASCII bytes (a stored entry read from Redis: copied into one Buffer, no string made);
 * both forms of one key are one key, hashed over the same UTF-8 bytes. Each key's hash is kept
 * beside its slot, so a probe reads a key only when the hashes match, and growing rehashes
 * without reading keys at all.
 */
export class ClaimTable {
  readonly #hash: KeyHash;
  /** Slot s is slots[2s] (the key's hash) and slots[2s + 1] (claim number + 1; 0 is empty). */
  #slots: Int32Array<ArrayBuffer>;
  /** Claim c's key: a string, or (undefined) bytes[starts[c]..ends[c]]. */
  readonly #strings: (string | undefined)[] = [];
  #bytes = Buffer.allocUnsafeSlow(1 << 16);
  #end = 0;
  #starts: Int32Array<ArrayBuffer>;
  #ends: Int32Array<ArrayBuffer>;
  #hashes: Int32Array<ArrayBuffer>;
  #values: Int32Array<ArrayBuffer>;

  /** `expected` keys fit without growing; `hash` is replaceable so tests can force collisions. */
  constructor(expected = 512, hash: KeyHash = hashBytes) {
    this.#hash = hash;
    let size = 1024;
    while (size < 2 * expected) size *= 2;
    this.#slots = new Int32Array(2 * size);
    [this.#starts, this.#ends, this.#hashes, this.#values] = entryArrays(size / 2);
  }

  /** Number of keys claimed. */
  get size(): number {
    return this.#strings.length;
  }

  /** The value claimed for `key`, or -1. */
  get(key: string): number {
    const n = this.#slots[2 * this.#find(this.#hashString(key), key, NO_BYTES, 0, 0) + 1]!;
    return n === 0 ? -1 : this.#values[n - 1]!;
  }

  /** Claims `key` for `value` (≥ 0) unless already claimed; returns the earlier value, or -1 when this claim won. */
  claim(key: string, value: number): number {
    const h = this.#hashString(key);
    const slot = this.#find(h, key, NO_BYTES, 0, 0);
    const n = this.#slots[2 * slot + 1]!;
    if (n !== 0) return this.#values[n - 1]!;
    this.#add(slot, h, value, key);
    return -1;
  }

  /** {@link claim} for a key in canonical (lower-case ASCII) form held in `b[from..to]`, whose hash is `h`. */
  claimBytes(b: Uint8Array, from: number, to: number, h: number, value: number): number {
    const slot = this.#find(h, undefined, b, from, to);
    const n = this.#slots[2 * slot + 1]!;
    if (n !== 0) return this.#values[n - 1]!;
    if (this.#end + to - from > this.#bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.#end + to - from, 2 * this.#bytes.length));
      this.#bytes.copy(grown, 0, 0, this.#end);
      this.#bytes = grown;
    }
    const c = this.#add(slot, h, value, undefined);
    this.#starts[c] = this.#end;
    // Keys are a few bytes: a loop beats a subarray and a native copy.
    for (let i = from; i < to; i++) this.#bytes[this.#end++] = b[i]!;
    this.#ends[c] = this.#end;
    return -1;
  }

  #add(slot: number, h: number, value: number, key: string | undefined): number {
    const c = this.#strings.length;
    if (c === this.#values.length) this.#growEntries();
    this.#strings.push(key);
    this.#hashes[c] = h;
    this.#values[c] = value;
    this.#slots[2 * slot] = h;
    this.#slots[2 * slot + 1] = c + 1;
    // At most half full, so probe runs stay short.
    if (4 * (c + 1) > this.#slots.length) this.#rehash(this.#slots.length);
    return c;
  }

  /** The hash of a string key's UTF-8 bytes (ASCII keys, nearly all, are hashed as they are). */
  #hashString(key: string): number {
    if (this.#hash === hashBytes) return hashString(key);
    const bytes = Buffer.from(key, 'utf8');
    return this.#hash(bytes, 0, bytes.length);
  }

  /** Slot holding the key (`key`, or if undefined the bytes `b[from..to]`), or the empty slot where it would go. */
  #find(h: number, key: string | undefined, b: Uint8Array, from: number, to: number): number {
    const slots = this.#slots;
    const mask = slots.length / 2 - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const n = slots[2 * slot + 1]!;
      if (n === 0) return slot;
      if (slots[2 * slot] === (h | 0) && this.#same(n - 1, key, b, from, to)) return slot;
    }
  }

  /** True when claim c's key is the probed one (string keys and byte keys compare across). */
  #same(c: number, key: string | undefined, b: Uint8Array, from: number, to: number): boolean {
    const s = this.#strings[c];
    const start = this.#starts[c]!;
    const end = this.#ends[c]!;
    if (key !== undefined) return s !== undefined ? s === key : sameAscii(key, this.#bytes, start, end);
    return s !== undefined ? sameAscii(s, b, from, to) : end - start === to - from && sameBytes(b, from, to, this.#bytes, start);
  }

  #growEntries(): void {
    const old = [this.#starts, this.#ends, this.#hashes, this.#values];
    const grown = entryArrays(2 * this.#values.length);
    grown.forEach((a, i) => a.set(old[i]!));
    [this.#starts, this.#ends, this.#hashes, this.#values] = grown;
  }

  /** Doubles the table to `size` slots. */
  #rehash(size: number): void {
    const slots = new Int32Array(2 * size);
    const mask = size - 1;
    for (let c = 0; c < this.#strings.length; c++) {
      const h = this.#hashes[c]!;
      let slot = h & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = h;
      slots[2 * slot + 1] = c + 1;
    }
    this.#slots = slots;
  }
}

/**
 * The four per-claim arrays of `n` entries, as views of one allocation: at a million mailboxes one
 * 32 MB block, which glibc maps and returns to the system when the build's table is dropped,
 * where four 8 MB blocks stayed resident in its heap afterwards.
 */
function entryArrays(n: number): Int32Array<ArrayBuffer>[] {
  const block = new Int32Array(4 * n);
  return [0, 1, 2, 3].map((i) => block.subarray(i * n, (i + 1) * n));
}
