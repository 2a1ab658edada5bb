/** A way to cut a byte vector into the chunks a socket might deliver. */
export interface Chunking {
  readonly name: string;
  readonly chunks: Buffer[];
}

/**
 * Every chunking a codec test feeds: the vector whole, byte by byte, and split in two at every
 * offset. A streaming decoder must produce the same result for each.
 */
export function chunkings(bytes: Buffer): Chunking[] {
  const out: Chunking[] = [
    { name: 'whole', chunks: [bytes] },
    { name: 'byte by byte', chunks: [...bytes].map((b) => Buffer.from([b])) },
  ];
  for (let i = 1; i < bytes.length; i++) {
    out.push({ name: `split at ${i}`, chunks: [bytes.subarray(0, i), bytes.subarray(i)] });
  }
  return out;
}
