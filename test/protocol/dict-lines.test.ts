import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DictLineDecoder } from '../../protocol/dict-lines.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { chunkings } from '../helpers/chunking.js';

/** Feeds chunks and collects every line, as a connection does. */
function decodeAll(decoder: DictLineDecoder, chunks: Buffer[]): string[] {
  const lines: string[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let line = decoder.nextLine(); line !== undefined; line = decoder.nextLine()) lines.push(line);
  }
  return lines;
}

const isCode = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;

describe('dict line framing', () => {
  const VECTORS: { name: string; bytes: Buffer; lines: string[] }[] = [
    {
      // [observed] Dovecot 2.3.19 auth-worker: HELLO and the first command in one write.
      name: 'HELLO + lookup',
      bytes: Buffer.from('H3\t2\t0\t\tauthdict\nLshared/userdb/alice@example.com\talice@example.com\n'),
      lines: ['H3\t2\t0\t\tauthdict', 'Lshared/userdb/alice@example.com\talice@example.com'],
    },
    {
      // [observed] doveadm dict set: a whole transaction in one write, value tab-escaped.
      name: 'transaction',
      bytes: Buffer.from('H3\t2\t0\t\tauthdict\nB1\t\nS1\tshared/foo\ta\x01tb\nC1\n'),
      lines: ['H3\t2\t0\t\tauthdict', 'B1\t', 'S1\tshared/foo\ta\x01tb', 'C1'],
    },
    {
      name: 'UTF-8 key split inside a multi-byte character, CRLF ending, empty line',
      bytes: Buffer.from('Lshared/userdb/j\u00f6rg@ex\u00e4mple.com\t\r\n\nR7\n', 'utf8'),
      lines: ['Lshared/userdb/j\u00f6rg@ex\u00e4mple.com\t', '', 'R7'],
    },
  ];
  for (const v of VECTORS) {
    for (const c of chunkings(v.bytes)) {
      test(`${v.name}: ${c.name}`, () => {
        const decoder = new DictLineDecoder();
        assert.deepEqual(decodeAll(decoder, c.chunks), v.lines);
        assert.equal(decoder.idle, true);
      });
    }
  }

  test('keeps a partial line across chunks and reports it as not idle', () => {
    const decoder = new DictLineDecoder();
    assert.deepEqual(decodeAll(decoder, [Buffer.from('Lshared/us')]), []);
    assert.equal(decoder.idle, false);
    assert.deepEqual(decodeAll(decoder, [Buffer.from('erdb/x\t\n')]), ['Lshared/userdb/x\t']);
  });

  test('keeps unread lines ahead of a new chunk when the reader paused between lines', () => {
    const decoder = new DictLineDecoder();
    decoder.push(Buffer.from('L1\nL2\nL3'));
    assert.equal(decoder.nextLine(), 'L1');
    assert.deepEqual(decodeAll(decoder, [Buffer.from('\nL4\n')]), ['L2', 'L3', 'L4']);
  });

  test('accepts a line of exactly the cap, at every split', () => {
    const bytes = Buffer.from(`${'x'.repeat(16)}\r\n`);
    for (const c of chunkings(bytes)) assert.deepEqual(decodeAll(new DictLineDecoder(16), c.chunks), ['x'.repeat(16)], c.name);
  });

  test('refuses an oversize line without LF before buffering it', () => {
    const decoder = new DictLineDecoder(16);
    decoder.push(Buffer.from('x'.repeat(10)));
    assert.equal(decoder.nextLine(), undefined);
    decoder.push(Buffer.from('x'.repeat(10)));
    assert.throws(() => decoder.nextLine(), isCode('DICT_LINE_TOO_LONG'));
  });

  test('refuses a complete oversize line inside one chunk, after the lines before it', () => {
    const decoder = new DictLineDecoder(16);
    decoder.push(Buffer.from(`L1\n${'y'.repeat(17)}\nL2\n`));
    assert.equal(decoder.nextLine(), 'L1');
    assert.throws(() => decoder.nextLine(), isCode('DICT_LINE_TOO_LONG'));
  });

  test('refuses a 1 MiB line sent in one chunk with the 64 KiB default', () => {
    const decoder = new DictLineDecoder();
    decoder.push(Buffer.alloc(1024 * 1024, 0x41));
    assert.throws(() => decoder.nextLine(), isCode('DICT_LINE_TOO_LONG'));
  });
});
