import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DictCommandChar, formatDictCommand, formatDictHello, parseDictCommand, parseDictHello, type DictCommand } from '../../protocol/dict.js';
import { DICT_ITER_END, formatDictCommitReply, formatDictIterRow, formatDictLookupReply, parseDictMultiValues, parseDictReplyLine } from '../../protocol/dict-replies.js';
import { DictLineDecoder } from '../../protocol/dict-lines.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { chunkings } from '../helpers/chunking.js';

const isCode = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;

describe('dict HELLO', () => {
  test('parses the 2.3.19 handshake [observed]', () => {
    assert.deepEqual(parseDictHello('H3\t2\t0\t\tauthdict'), { major: 3, minor: 2, valueType: 0, dictName: 'authdict' });
  });
  test('accepts major 2 (<= 2.3.16) and major 4 (2.4), and ignores trailing fields', () => {
    assert.equal(parseDictHello('H2\t2\t0\t\tquota').major, 2);
    assert.deepEqual(parseDictHello('H4\t0\t0\t\tmailroster\textra'), { major: 4, minor: 0, valueType: 0, dictName: 'mailroster' });
  });
  test('round-trips a formatted HELLO', () => {
    const hello = { major: 3, minor: 2, valueType: 0, dictName: 'dict\twith tab' };
    assert.deepEqual(parseDictHello(formatDictHello(hello).slice(0, -1)), hello);
  });
  for (const [why, line] of [
    ['another command first', 'Lshared/userdb/x\t'],
    ['major 5', 'H5\t0\t0\t\tx'],
    ['fewer than 5 fields', 'H3\t2\t0'],
    ['a non-numeric minor', 'H3\tx\t0\t\tx'],
    ['an empty line', ''],
  ]) {
    test(`refuses ${why}`, () => assert.throws(() => parseDictHello(line!), isCode('DICT_BAD_HANDSHAKE')));
  }
});

describe('dict commands', () => {
  // [wire line, protocol major, parsed command]: wire lines from the observed transcripts.
  const VECTORS: [string, number, DictCommand][] = [
    ['Lshared/userdb/alice@example.com\talice@example.com', 3, { cmd: DictCommandChar.Lookup, key: 'shared/userdb/alice@example.com', user: 'alice@example.com' }],
    ['Lshared/userdb/alice@example.com\t', 3, { cmd: DictCommandChar.Lookup, key: 'shared/userdb/alice@example.com', user: '' }],
    ['Lshared/tabs\x01tkey', 2, { cmd: DictCommandChar.Lookup, key: 'shared/tabs\tkey', user: '' }],
    ['I0\t0\tshared/userdb/\t*', 3, { cmd: DictCommandChar.Iterate, flags: 0, maxRows: 0, paths: ['shared/userdb/'], user: '*' }],
    ['I24\t10\tshared/userdb/\t', 3, { cmd: DictCommandChar.Iterate, flags: 24, maxRows: 10, paths: ['shared/userdb/'], user: '' }],
    ['I1\t0\tshared/a/\tshared/b/', 2, { cmd: DictCommandChar.Iterate, flags: 1, maxRows: 0, paths: ['shared/a/', 'shared/b/'], user: '' }],
    ['B1\talice@example.com', 3, { cmd: DictCommandChar.Begin, id: 1, user: 'alice@example.com' }],
    ['B2\t\t3600', 4, { cmd: DictCommandChar.Begin, id: 2, user: '', expireSecs: 3600 }],
    ['B3', 2, { cmd: DictCommandChar.Begin, id: 3, user: '' }],
    ['S1\tshared/foo\ta\x01tb', 3, { cmd: DictCommandChar.Set, id: 1, key: 'shared/foo', value: 'a\tb' }],
    ['U1\tpriv/quota/storage', 3, { cmd: DictCommandChar.Unset, id: 1, key: 'priv/quota/storage' }],
    ['A1\tpriv/quota/messages\t-5', 3, { cmd: DictCommandChar.AtomicInc, id: 1, key: 'priv/quota/messages', diff: -5 }],
    ['T1\t1795894057\t366641', 3, { cmd: DictCommandChar.Timestamp, id: 1, secs: 1795894057, nsecs: 366641 }],
    ['V1\tyes', 3, { cmd: DictCommandChar.HideLogValues, id: 1, hide: true }],
    ['V1\tno', 4, { cmd: DictCommandChar.HideLogValues, id: 1, hide: false }],
    ['C1', 3, { cmd: DictCommandChar.Commit, id: 1 }],
    ['D2', 3, { cmd: DictCommandChar.CommitAsync, id: 2 }],
    ['R9\tunknown\ttrailing', 3, { cmd: DictCommandChar.Rollback, id: 9 }],
  ];
  for (const [line, major, parsed] of VECTORS) {
    test(`parses ${JSON.stringify(line)} (major ${major})`, () => assert.deepEqual(parseDictCommand(line, major), parsed));
  }

  test('ignores unknown trailing fields', () => {
    assert.deepEqual(parseDictCommand('Lshared/x\tuser\tfuture\tfields', 3), { cmd: DictCommandChar.Lookup, key: 'shared/x', user: 'user' });
    assert.deepEqual(parseDictCommand('S1\tk\tv\textra', 3), { cmd: DictCommandChar.Set, id: 1, key: 'k', value: 'v' });
  });

  test('round-trips every major-3 vector through formatDictCommand', () => {
    for (const [, major, parsed] of VECTORS.filter(([, m]) => m >= 3)) {
      assert.deepEqual(parseDictCommand(formatDictCommand(parsed).slice(0, -1), major), parsed);
    }
  });

  test('decodes a pipelined stream identically at every split', () => {
    const stream = VECTORS.filter(([, m]) => m === 3);
    const bytes = Buffer.from(stream.map(([l]) => `${l}\n`).join(''));
    for (const c of chunkings(bytes)) {
      const decoder = new DictLineDecoder();
      const got: DictCommand[] = [];
      for (const chunk of c.chunks) {
        decoder.push(chunk);
        for (let l = decoder.nextLine(); l !== undefined; l = decoder.nextLine()) got.push(parseDictCommand(l, 3));
      }
      assert.deepEqual(got, stream.map(([, , p]) => p), c.name);
    }
  });

  const MALFORMED: [string, string, string][] = [
    ['unknown command', 'X1', 'DICT_UNKNOWN_COMMAND'],
    ['HELLO after the handshake', 'H3\t2\t0\t\tx', 'DICT_UNKNOWN_COMMAND'],
    ['empty line', '', 'DICT_UNKNOWN_COMMAND'],
    ['iterate without a path', 'I0\t0', 'DICT_BAD_COMMAND'],
    ['iterate with negative flags', 'I-1\t0\tshared/\t', 'DICT_BAD_COMMAND'],
    ['set with two fields', 'S1\tshared/foo', 'DICT_BAD_COMMAND'],
    ['commit with a non-numeric id', 'Cabc', 'DICT_BAD_COMMAND'],
    ['atomic inc with a fraction', 'A1\tk\t1.5', 'DICT_BAD_COMMAND'],
    ['hide-log-values with maybe', 'V1\tmaybe', 'DICT_BAD_COMMAND'],
    ['timestamp missing nsecs', 'T1\t5', 'DICT_BAD_COMMAND'],
  ];
  for (const [why, line, code] of MALFORMED) {
    test(`refuses ${why} with ${code}`, () => assert.throws(() => parseDictCommand(line, 3), isCode(code)));
  }

  test('does not echo the rest of an unknown command line in the error (it may hold values)', () => {
    assert.throws(() => parseDictCommand('Zsecret-value', 3), (e: unknown) => e instanceof ProtocolError && !e.message.includes('secret'));
  });
});

describe('dict replies', () => {
  test('formats lookup replies byte for byte', () => {
    assert.equal(formatDictLookupReply({ kind: 'ok', value: '{"uid":"5000"}' }), 'O{"uid":"5000"}\n');
    assert.equal(formatDictLookupReply({ kind: 'ok', value: 'line1\nline2\twith tab \x01 and ctrl-A' }), 'Oline1\x01nline2\x01twith tab \x011 and ctrl-A\n');
    assert.equal(formatDictLookupReply({ kind: 'not-found' }), 'N\n');
    assert.equal(formatDictLookupReply({ kind: 'fail', reason: 'directory not loaded yet' }), 'Fdirectory not loaded yet\n');
    // [observed] b'Mv1\x01tv2\x011twith tab\n' for values v1 and "v2<TAB>with tab".
    assert.equal(formatDictLookupReply({ kind: 'multi-ok', values: ['v1', 'v2\twith tab'] }), 'Mv1\x01tv2\x011twith tab\n');
  });

  test('formats iteration rows, the NO_VALUE row and the terminator', () => {
    assert.equal(formatDictIterRow('shared/userdb/a\tb', 'v\n'), 'Oshared/userdb/a\x01tb\tv\x01n\n');
    assert.equal(formatDictIterRow('shared/userdb/alice@example.com', ''), 'Oshared/userdb/alice@example.com\t\n');
    assert.equal(DICT_ITER_END, '\n');
  });

  test('formats commit replies, plain and async', () => {
    assert.equal(formatDictCommitReply(1, { kind: 'ok' }), 'O1\n');
    assert.equal(formatDictCommitReply(3, { kind: 'not-found' }), 'N3\n');
    assert.equal(formatDictCommitReply(1, { kind: 'fail', reason: 'mailroster is read-only' }), 'F1\tmailroster is read-only\n');
    assert.equal(formatDictCommitReply(2, { kind: 'write-uncertain', reason: 'x\ty' }), 'W2\tx\x01ty\n');
    assert.equal(formatDictCommitReply(2, { kind: 'fail', reason: 'ro' }, true), 'AF2\tro\n');
  });

  test('parses reply lines back as a client does', () => {
    assert.deepEqual(parseDictReplyLine('Oline1\x01nline2'), { char: 'O', fields: ['line1\nline2'] });
    assert.deepEqual(parseDictReplyLine('Oshared/userdb/x\t'), { char: 'O', fields: ['shared/userdb/x', ''] });
    assert.deepEqual(parseDictReplyLine(''), { char: '', fields: [] });
    assert.deepEqual(parseDictReplyLine('F1\tread-only'), { char: 'F', fields: ['1', 'read-only'] });
    const m = parseDictReplyLine('Mv1\x01tv2\x011twith tab');
    assert.deepEqual(parseDictMultiValues(m.fields[0]!), ['v1', 'v2\twith tab']);
  });
});
