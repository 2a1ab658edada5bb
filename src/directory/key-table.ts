import { hashAscii, hashBytes, sameBytes } from './key-bytes.js';
import type { PackedBuilder } from './packed-builder.js';
import { KEY_STEP, type Steps } from './build-steps.js';
import type { SealedBytes } from './packed-tables.js';

/** What an index key names. */
export const KEY_MAILBOX = 1;
export const KEY_ALIAS = 2;
export const KEY_LIST = 3;
export const KEY_CATCH_ALL = 4;

/** Mailbox flags. */
export const ENABLED = 1;
/** The mailbox's address is its key (lower-case ASCII, plain domain): replies are made from the key bytes. */
export const PLAIN = 2;

// Every key is a 16-byte header followed by its UTF-8 bytes (padded to 4) in one buffer, the
// arena: the key's length, its info (kind in 3 bits, its target mailbox's ENABLED and PLAIN flags,
// its target's index), the index of the key that names its reply (a mailbox's own key: the one an
// alias answers with) and its own index. A table slot is one word: where the key's header is in
// its low bits, the top bits of the key's hash above them (a tag: a probe reads the arena only
// when the tags match). A hit reads its slot and one stretch of the arena (header and bytes
// together), and a mailbox's reply is copied from the bytes it just compared: two places in
// memory, which at a million keys are two cache misses (there were three when headers lived apart
// from the bytes). One word a slot keeps the table half the size it was with the whole hash beside
// the offset (16 MB at 1M, 2 MB at 100k), so more of it stays in cache between requests.
const HEADER_WORDS = 4;
const LENGTH = 0;
const INFO = 1;
const REPLY = 2;
const INDEX = 3;
const KIND_MASK = 7;
const FLAGS_SHIFT = 3;
const TARGET_SHIFT = 5;

/**
 * The index keys of one packed layer (mailbox, alias, list, `@domain` catch-all): their bytes,
 * what each names, and an open-addressing hash table over them that keeps a tag of each key's hash
 * beside it, so a probe reads a key's header and bytes only when the tags match. Keys are numbered in
 * the order they were added (a mailbox's keys are consecutive, its own key first).
 */
export class KeyTable {
  readonly #arena: Buffer;
  /** The arena as 32-bit words (headers are word-aligned). */
  readonly #words: Int32Array;
  /** Key index -> word offset of its header. */
  readonly #keyAt: Int32Array;
  readonly #table: Int32Array;
  readonly #mask: number;
  /** The slot bits that hold a header's word offset + 1; the bits above are the hash's tag. */
  readonly #offsetMask: number;
  // The last key found and its header: the accessors a lookup calls next read the header it just
  // compared, instead of going through #keyAt (a third place in memory).
  #lastK = -1;
  #lastAt = 0;

  /** ENABLED and PLAIN of each mailbox by index; every key naming a mailbox carries them too. */
  readonly mailboxFlags: Uint8Array;

  constructor(parts: KeyTableParts) {
    this.mailboxFlags = parts.mailboxFlags;
    this.#arena = parts.arena;
    this.#words = parts.words;
    this.#keyAt = parts.keyAt;
    this.#table = parts.table;
    this.#mask = parts.table.length - 1;
    this.#offsetMask = offsetMaskOf(parts.words.length);
    this.keyCount = parts.keyAt.length;
  }

  /** Number of index keys. */
  readonly keyCount: number;

  /** Index of `key` among the keys, or -1. */
  find(key: string): number {
    const h = hashAscii(key);
    if (h < 0) {
      const bytes = Buffer.from(key, 'utf8');
      return this.findHashed(bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length));
    }
    const arena = this.#arena;
    const words = this.#words;
    const table = this.#table;
    const offsets = this.#offsetMask;
    const len = key.length;
    for (let slot = h & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const e = table[slot]!;
      if (e === 0) return -1;
      const at = (e & offsets) - 1;
      if (((e ^ h) & ~offsets) !== 0 || words[at + LENGTH] !== len) continue;
      const from = 4 * (at + HEADER_WORDS);
      let i = 0;
      while (i < len && arena[from + i] === key.charCodeAt(i)) i++;
      if (i === len) return this.#found(at);
    }
  }

  /** Index of the key held in `b[from..to]`, whose {@link hashBytes} is `h`, or -1. */
  findHashed(b: Uint8Array, from: number, to: number, h: number): number {
    const words = this.#words;
    const table = this.#table;
    const offsets = this.#offsetMask;
    const len = to - from;
    for (let slot = h & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const e = table[slot]!;
      if (e === 0) return -1;
      const at = (e & offsets) - 1;
      if (((e ^ h) & ~offsets) !== 0 || words[at + LENGTH] !== len) continue;
      if (sameBytes(b, from, to, this.#arena, 4 * (at + HEADER_WORDS))) return this.#found(at);
    }
  }

  /** The index of the key whose header is at word `at`, remembered for the accessors that follow. */
  #found(at: number): number {
    this.#lastAt = at;
    return (this.#lastK = this.#words[at + INDEX]!);
  }

  /** Word offset of key k's header. */
  #at(k: number): number {
    return k === this.#lastK ? this.#lastAt : this.#keyAt[k]!;
  }

  /** KEY_MAILBOX, KEY_ALIAS, KEY_LIST or KEY_CATCH_ALL: what key k names. */
  kindOf(k: number): number {
    return this.#words[this.#at(k) + INFO]! & KIND_MASK;
  }

  /** The mailbox or list index key k names. */
  targetOf(k: number): number {
    return this.#words[this.#at(k) + INFO]! >>> TARGET_SHIFT;
  }

  /** True when key k names a mailbox (its own key, an alias or a catch-all) that is enabled. */
  targetEnabled(k: number): boolean {
    return ((this.#words[this.#at(k) + INFO]! >>> FLAGS_SHIFT) & ENABLED) !== 0;
  }

  /** True when key k names a mailbox whose address is its own key (replies copied from key bytes). */
  targetPlain(k: number): boolean {
    return ((this.#words[this.#at(k) + INFO]! >>> FLAGS_SHIFT) & PLAIN) !== 0;
  }

  /** The key whose bytes make key k's reply: its mailbox's own key (a list key: itself). */
  replyKey(k: number): number {
    return this.#words[this.#at(k) + REPLY]!;
  }

  /** Index key k as a string (made on each call). */
  key(k: number): string {
    const start = this.keyStart(k);
    return this.#arena.toString('utf8', start, start + this.#words[this.#at(k) + LENGTH]!);
  }

  /** The buffer every key's UTF-8 bytes are in; key k is `keyStart(k)..keyEnd(k)`. */
  get keyBytes(): Buffer {
    return this.#arena;
  }

  /** Where key k starts in {@link keyBytes}. */
  keyStart(k: number): number {
    return 4 * (this.#at(k) + HEADER_WORDS);
  }

  /** Where key k ends in {@link keyBytes}. */
  keyEnd(k: number): number {
    const at = this.#at(k);
    return 4 * (at + HEADER_WORDS) + this.#words[at + LENGTH]!;
  }
}

/** What a {@link KeyTable} is made of; {@link keyTableSteps} fills it. */
export interface KeyTableParts {
  readonly mailboxFlags: Uint8Array;
  readonly arena: Buffer;
  readonly words: Int32Array;
  readonly keyAt: Int32Array;
  readonly table: Int32Array;
}

/** Packs a builder's keys into an arena and hashes them into the table, {@link KEY_STEP} keys a step. */
export function* keyTableSteps(b: PackedBuilder): Steps<KeyTableParts> {
  const flags = b.mailboxFlags.seal();
  const mailboxFlags = new Uint8Array(flags.length);
  mailboxFlags.set(flags);
  // Read once, into the arena: no need to trim it first.
  const keys = b.keys.view();
  const count = b.keyKind.length;
  let words = 0;
  for (let k = 0; k < count; k++) words += HEADER_WORDS + ((keys.offsets[k + 1]! - keys.offsets[k]! + 3) >>> 2);
  // Zeroed by calloc: pages are touched (and paid for) as the steps fill them.
  const arena = Buffer.alloc(4 * words);
  let size = 16;
  while (size < count * 2) size *= 2;
  const parts = { mailboxFlags, arena, words: new Int32Array(arena.buffer, arena.byteOffset, words), keyAt: new Int32Array(count), table: new Int32Array(size) };
  for (let k = 0, at = 0; k < count; k += KEY_STEP) {
    at = fillKeys(parts, b, keys, k, Math.min(count, k + KEY_STEP), at);
    yield;
  }
  for (let k = 0; k < count; k += KEY_STEP) {
    hashKeys(parts, b, k, Math.min(count, k + KEY_STEP));
    yield;
  }
  return parts;
}

/** Writes the headers and bytes of keys `from..to` from word `at` on; returns where the next goes. */
function fillKeys(parts: KeyTableParts, b: PackedBuilder, keys: SealedBytes, from: number, to: number, at: number): number {
  const { arena, words, keyAt, mailboxFlags } = parts;
  // A list key's flags stay 0 and it names itself; every other key names a mailbox, whose flags
  // and own key it carries.
  for (let k = from; k < to; k++) {
    const kind = b.keyKind.at(k);
    const target = b.keyTarget.at(k);
    const list = kind === KEY_LIST;
    const start = keys.offsets[k]!;
    const len = keys.offsets[k + 1]! - start;
    keyAt[k] = at;
    words[at + LENGTH] = len;
    words[at + INFO] = (target << TARGET_SHIFT) | ((list ? 0 : mailboxFlags[target]!) << FLAGS_SHIFT) | kind;
    words[at + REPLY] = list ? k : b.mailboxKeys.at(target);
    words[at + INDEX] = k;
    // Keys are a few dozen bytes: a JS loop beats a native copy per key.
    for (let i = 0, o = 4 * (at + HEADER_WORDS); i < len; i++) arena[o + i] = keys.bytes[start + i]!;
    at += HEADER_WORDS + ((len + 3) >>> 2);
  }
  return at;
}

/**
 * The slot bits that hold a header's word offset + 1 (0 is an empty slot) in an arena of `words`
 * words; the hash's bits above them are the slot's tag. The slot's position comes from the hash's
 * low bits, the tag from its high ones: with the benchmark's directories, 22 and 7 of them at 1M
 * mailboxes, 19 and 11 at 100k.
 */
function offsetMaskOf(words: number): number {
  const bits = 32 - Math.clz32(words);
  // An arena of 2^30 words or more (4 GB) cannot be a Buffer; a tag of at least one bit is left.
  if (bits > 31) throw new RangeError(`key arena of ${words} words is too large`);
  return (2 ** bits - 1) | 0;
}

/** Enters keys `from..to` in the open-addressing table. */
function hashKeys(parts: KeyTableParts, b: PackedBuilder, from: number, to: number): void {
  const { table, keyAt } = parts;
  const mask = table.length - 1;
  const offsets = offsetMaskOf(parts.words.length);
  for (let k = from; k < to; k++) {
    const h = b.keyHash.at(k);
    let slot = h & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = (h & ~offsets) | (keyAt[k]! + 1);
  }
}
