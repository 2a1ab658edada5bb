import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { formatSocketmapReply, parseSocketmapReply, parseSocketmapRequest, SOCKETMAP_MAX_REPLY_BYTES } from '../../protocol/socketmap.js';

describe('socketmap request', () => {
  const CASES: [wire: string, name: string, key: string][] = [
    ['alias alias@example.com', 'alias', 'alias@example.com'],
    // Keys may hold spaces, quotes and several '@': split at the first space only.
    ['alias "john doe"@example.com', 'alias', '"john doe"@example.com'],
    ['mailbox alice@example.com extra', 'mailbox', 'alice@example.com extra'],
    ['alias a@b@example.com', 'alias', 'a@b@example.com'],
    ['alias j\u00f6rg@example.com', 'alias', 'j\u00f6rg@example.com'],
    ['domain ', 'domain', ''],
  ];
  for (const [wire, name, key] of CASES) {
    test(`splits ${JSON.stringify(wire)} at the first space`, () => {
      assert.deepEqual(parseSocketmapRequest(Buffer.from(wire, 'utf8')), { name, key });
    });
  }
  for (const wire of ['nospace', ' leading-space', '']) {
    test(`refuses ${JSON.stringify(wire)}`, () => {
      assert.throws(() => parseSocketmapRequest(Buffer.from(wire)), (e: unknown) => e instanceof ProtocolError && e.code === 'SOCKETMAP_BAD_REQUEST');
    });
  }
});

describe('socketmap reply', () => {
  test('formats every status exactly as socketmap_table(5) spells it', () => {
    assert.equal(formatSocketmapReply({ status: 'OK', data: 'alice@example.com,bob@example.com' }).payload, 'OK alice@example.com,bob@example.com');
    assert.equal(formatSocketmapReply({ status: 'NOTFOUND' }).payload, 'NOTFOUND ');
    assert.equal(formatSocketmapReply({ status: 'TEMP', reason: 'directory not loaded yet' }).payload, 'TEMP directory not loaded yet');
    assert.equal(formatSocketmapReply({ status: 'TIMEOUT', reason: 'slow' }).payload, 'TIMEOUT slow');
    assert.equal(formatSocketmapReply({ status: 'PERM', reason: 'unknown map' }).payload, 'PERM unknown map');
  });

  test('turns an OK above the 100000-byte Postfix limit into TEMP, never a truncated OK', () => {
    const data = 'x'.repeat(SOCKETMAP_MAX_REPLY_BYTES);
    const r = formatSocketmapReply({ status: 'OK', data });
    assert.equal(r.oversize, true);
    assert.match(r.payload, /^TEMP /);
  });

  test('keeps an OK of exactly 100000 bytes', () => {
    const data = 'x'.repeat(SOCKETMAP_MAX_REPLY_BYTES - 3);
    const r = formatSocketmapReply({ status: 'OK', data });
    assert.equal(r.oversize, false);
    assert.equal(Buffer.byteLength(r.payload), SOCKETMAP_MAX_REPLY_BYTES);
  });

  test('makes reasons printable and short', () => {
    const r = formatSocketmapReply({ status: 'TEMP', reason: `bad\r\nthing ${'y'.repeat(500)}` });
    assert.doesNotMatch(r.payload, /[\r\n]/);
    assert.ok(r.payload.length <= 'TEMP '.length + 200);
  });

  test('parses replies as Postfix does, including "OK" without a space as not found', () => {
    assert.deepEqual(parseSocketmapReply('OK  lead'), { status: 'OK', data: ' lead' });
    assert.deepEqual(parseSocketmapReply('OK'), { status: 'NOTFOUND' });
    assert.deepEqual(parseSocketmapReply('NOTFOUND '), { status: 'NOTFOUND' });
    assert.deepEqual(parseSocketmapReply('WHATEVER x'), { status: 'TEMP', reason: 'unknown reply WHATEVER' });
  });
});
