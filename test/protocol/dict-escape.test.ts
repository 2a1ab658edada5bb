import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeDictField, joinDictFields, splitDictFields, unescapeDictField } from '../../protocol/dict-escape.js';

describe('dict tab escaping', () => {
  // [plain, escaped] pairs; escaped bytes as Dovecot's str_append_tabescaped writes them.
  const VECTORS: [string, string][] = [
    ['plain', 'plain'],
    ['a\tb', 'a\x01tb'],
    ['line1\nline2', 'line1\x01nline2'],
    ['cr\r', 'cr\x01r'],
    ['ctrl-A \x01 here', 'ctrl-A \x011 here'],
    ['\x01\t\r\n', '\x011\x01t\x01r\x01n'],
    ['j\u00f6rg@exämple.com', 'j\u00f6rg@exämple.com'],
    ['', ''],
  ];
  for (const [plain, escaped] of VECTORS) {
    test(`escapes ${JSON.stringify(plain)} and decodes it back`, () => {
      assert.equal(escapeDictField(plain), escaped);
      assert.equal(unescapeDictField(escaped), plain);
    });
  }

  test('decodes \\x010 to NUL, an unknown escape to its character, and drops a lone trailing \\x01', () => {
    assert.equal(unescapeDictField('a\x010b'), 'a\0b');
    assert.equal(unescapeDictField('a\x01xb'), 'axb');
    assert.equal(unescapeDictField('end\x01'), 'end');
  });

  test('round-trips every byte value 0-255 as text', () => {
    let all = '';
    for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    const escaped = escapeDictField(all);
    assert.ok(!/[\t\r\n]/.test(escaped), 'no raw TAB, CR or LF survives');
    assert.equal(unescapeDictField(escaped), all);
  });

  test('splits a line into unescaped fields; an empty line has none', () => {
    assert.deepEqual(splitDictFields('a\x01tb\tc\t'), ['a\tb', 'c', '']);
    assert.deepEqual(splitDictFields(''), []);
    assert.deepEqual(splitDictFields(joinDictFields(['k\ty', 'v\nw', ''])), ['k\ty', 'v\nw', '']);
  });
});
