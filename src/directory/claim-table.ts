/** FNV-1a over the UTF-16 code units of a string (keys are short addresses). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/**
 * Which entry claimed each address during one build: string key -> non-negative integer, in an
 * open-addressing table over typed arrays. A `Map<string, number>` of the two million keys of a
 * million mailboxes cost over a second of inserts and much of the build's garbage collection;
 * here the only per-key cost is a reference to the key string, which the builder holds anyway.
 * Each key's hash is kept, so growing rehashes without reading the strings again.
 */
export class ClaimTable {
  readonly #hash: (key: string) => number;
  /** Claim number + 1 per slot; 0 is empty. */
  #slots = new Int32Array(1024);
  #keys: string[] = [];
  #hashes = new Int32Array(512);
  #values = new Int32Array(512);

  /** `hash` is replaceable so tests can force collisions. */
  constructor(hash: (key: string) => number = hashString) {
    this.#hash = hash;
  }

  /** Number of keys claimed. */
  get size(): number {
    return this.#keys.length;
  }

  /** The value claimed for `key`, or -1. */
  get(key: string): number {
    const n = this.#slots[this.#find(key, this.#hash(key))]!;
    return n === 0 ? -1 : this.#values[n - 1]!;
  }

  /** Claims `key` for `value` (≥ 0) unless already claimed; returns the earlier value, or -1 when this claim won. */
  claim(key: string, value: number): number {
    const h = this.#hash(key);
    const slot = this.#find(key, h);
    const n = this.#slots[slot]!;
    if (n !== 0) return this.#values[n - 1]!;
    const c = this.#keys.length;
    if (c === this.#values.length) this.#growEntries();
    this.#keys.push(key);
    this.#hashes[c] = h;
    this.#values[c] = value;
    this.#slots[slot] = c + 1;
    // At most half full, so probe runs stay short.
    if (2 * (c + 1) > this.#slots.length) this.#rehash(this.#slots.length * 2);
    return -1;
  }

  /** Slot holding `key`, or the empty slot where it would go. */
  #find(key: string, h: number): number {
    const mask = this.#slots.length - 1;
    let slot = h & mask;
    for (;;) {
      const n = this.#slots[slot]!;
      if (n === 0 || (this.#hashes[n - 1] === h && this.#keys[n - 1] === key)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #growEntries(): void {
    const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#hashes = grow(this.#hashes);
    this.#values = grow(this.#values);
  }

  #rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let c = 0; c < this.#keys.length; c++) {
      let slot = this.#hashes[c]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = c + 1;
    }
    this.#slots = slots;
  }
}
