import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRequire } from 'node:module';
import { encodeNetstring, NetstringDecoder } from '../../protocol/netstring.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { chunkings } from '../helpers/chunking.js';

// The `netstring` npm package is used only here, as an independent encoder to cross-check ours.
const reference = createRequire(import.meta.url)('netstring') as { nsWrite: (b: Buffer) => Buffer };

const VECTORS: { name: string; wire: string; frames: string[] }[] = [
  { name: 'one request', wire: '23:alias alias@example.com,', frames: ['alias alias@example.com'] },
  { name: 'empty payload', wire: '0:,', frames: [''] },
  { name: 'payload holding ":" and ","', wire: '7:a:b,c:d,', frames: ['a:b,c:d'] },
  { name: 'pipelined requests', wire: '18:domain example.com,9:NOTFOUND ,', frames: ['domain example.com', 'NOTFOUND '] },
  { name: 'UTF-8 key counted in bytes', wire: '23:alias j\u00f6rg@example.com,', frames: ['alias j\u00f6rg@example.com'] },
  { name: 'key with spaces and quotes', wire: '28:alias "john doe"@example.com,', frames: ['alias "john doe"@example.com'] },
];

function decodeAll(decoder: NetstringDecoder, chunks: Buffer[]): string[] {
  return chunks.flatMap((c) => decoder.push(c)).map((f) => f.toString('utf8'));
}

describe('netstring decoder', () => {
  for (const v of VECTORS) {
    test(`decodes ${v.name} in every chunking`, () => {
      for (const { name, chunks } of chunkings(Buffer.from(v.wire, 'utf8'))) {
        const decoder = new NetstringDecoder();
        assert.deepEqual(decodeAll(decoder, chunks), v.frames, name);
        assert.equal(decoder.idle, true, `${name}: nothing left over`);
      }
    });
  }

  const ERRORS: { name: string; wire: string; code: string; max?: number }[] = [
    { name: 'a missing trailing comma', wire: '3:abc;', code: 'NETSTRING_MISSING_COMMA' },
    { name: 'an empty length', wire: ':abc,', code: 'NETSTRING_BAD_LENGTH' },
    { name: 'a leading zero', wire: '03:abc,', code: 'NETSTRING_BAD_LENGTH' },
    { name: 'a non-digit in the length', wire: '1a:abc,', code: 'NETSTRING_BAD_LENGTH' },
    { name: 'a negative length', wire: '-1:a,', code: 'NETSTRING_BAD_LENGTH' },
    { name: 'a length above the limit', wire: '100001:', code: 'NETSTRING_TOO_LONG' },
    { name: 'a length above a configured limit', wire: '11:', code: 'NETSTRING_TOO_LONG', max: 10 },
    { name: 'an endless run of digits', wire: '9'.repeat(50), code: 'NETSTRING_TOO_LONG' },
  ];
  for (const e of ERRORS) {
    test(`refuses ${e.name} in every chunking`, () => {
      for (const { name, chunks } of chunkings(Buffer.from(e.wire))) {
        const decoder = new NetstringDecoder(e.max);
        assert.throws(() => decodeAll(decoder, chunks), (err: unknown) => err instanceof ProtocolError && err.code === e.code, name);
      }
    });
  }

  test('refuses an oversize length prefix before any payload byte arrives', () => {
    const decoder = new NetstringDecoder(100_000);
    // Only the length is sent: the refusal must not wait for (or buffer) the payload.
    assert.throws(() => decoder.push(Buffer.from('999999999:')), { code: 'NETSTRING_TOO_LONG' });
  });

  test('accepts a payload of exactly the limit', () => {
    const payload = 'x'.repeat(100_000);
    const [frame] = new NetstringDecoder().push(encodeNetstring(payload));
    assert.equal(frame!.length, 100_000);
  });

  test('a frame decoded from one chunk is unaffected by later chunks', () => {
    const decoder = new NetstringDecoder();
    const [first] = decoder.push(Buffer.from('5:hello,5:wo'));
    decoder.push(Buffer.from('rld,'));
    assert.equal(first!.toString(), 'hello');
  });
});

describe('netstring encoder', () => {
  for (const payload of ['', 'OK example.com/alice/', 'NOTFOUND ', 'OK j\u00f6rg@example.com', 'x'.repeat(1000)]) {
    test(`matches the reference encoder and round-trips ${JSON.stringify(payload.slice(0, 24))}`, () => {
      const ours = encodeNetstring(payload);
      assert.deepEqual(ours, reference.nsWrite(Buffer.from(payload, 'utf8')));
      assert.deepEqual(new NetstringDecoder().push(ours).map((b) => b.toString('utf8')), [payload]);
    });
  }
});
