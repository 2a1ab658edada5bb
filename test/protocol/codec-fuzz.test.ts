import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeAuthValue, escapeAuthValue, formatAuthReply, parseAuthReply, type AuthReplyResult } from '../../protocol/auth-reply.js';
import { parseAuthRequestPath } from '../../protocol/auth-request.js';
import { DictCommandChar, formatDictCommand, formatDictHello, parseDictCommand, parseDictHello, type DictCommand } from '../../protocol/dict.js';
import { escapeDictField, joinDictFields, splitDictFields, unescapeDictField } from '../../protocol/dict-escape.js';
import { DictLineDecoder } from '../../protocol/dict-lines.js';
import { formatDictLookupReply, parseDictMultiValues, parseDictReplyLine } from '../../protocol/dict-replies.js';
import { encodeNetstring, NetstringDecoder } from '../../protocol/netstring.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { formatSocketmapReply, parseSocketmapReply, parseSocketmapRequest, SOCKETMAP_MAX_REPLY_BYTES } from '../../protocol/socketmap.js';

/**
 * Property-based tests of every codec in protocol/: random bytes, random splits of valid streams,
 * huge declared lengths. A decoder may produce frames or throw a coded ProtocolError, nothing
 * else; whatever it holds stays under its cap; encode then decode is the identity. Seeds are
 * printed by fast-check on failure, so a case can be replayed.
 */
const RUNS = { numRuns: 300 };

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** Runs `fn`; only a ProtocolError with a code may escape. */
function onlyProtocolErrors(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtocolError && typeof err.code === 'string', `unexpected ${String(err)}`);
  }
}

const bytes = (max = 300) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe('netstring codec (fuzzed)', () => {
  test('random bytes in random chunks: frames or a coded ProtocolError, each frame within the cap', () => {
    fc.assert(fc.property(bytes(), cuts, fc.integer({ min: 0, max: 64 }), (input, at, max) => {
      const d = new NetstringDecoder(max);
      onlyProtocolErrors(() => {
        for (const chunk of split(input, at)) for (const f of d.push(chunk)) assert.ok(f.length <= max);
      });
    }), RUNS);
  });

  test('any payloads, encoded and split anywhere, decode back in order', () => {
    fc.assert(fc.property(fc.array(bytes(200)), cuts, (payloads, at) => {
      const wire = Buffer.concat(payloads.map((p) => encodeNetstring(p)));
      const d = new NetstringDecoder(1000);
      const out = split(wire, at).flatMap((c) => d.push(c).map((f) => Buffer.from(f)));
      assert.deepEqual(out, payloads);
      assert.equal(d.idle, true);
    }), RUNS);
  });

  test('a huge declared length is refused while the digits are read, before any payload', () => {
    fc.assert(fc.property(fc.bigInt({ min: 100_001n, max: 10n ** 30n }), (n) => {
      assert.throws(() => new NetstringDecoder().push(Buffer.from(`${n}:`)), { code: 'NETSTRING_TOO_LONG' });
    }), RUNS);
  });

  test('frames completed before a bad byte are handed out even though push throws', () => {
    fc.assert(fc.property(fc.array(bytes(50), { minLength: 1 }), fc.constantFrom('x', ':', '3:abc;'), (payloads, bad) => {
      const out: Buffer[] = [];
      assert.throws(() => new NetstringDecoder().push(Buffer.concat([...payloads.map((p) => encodeNetstring(p)), Buffer.from(bad)]), out), ProtocolError);
      assert.deepEqual(out.map((b) => Buffer.from(b)), payloads);
    }), RUNS);
  });
});

describe('socketmap codec (fuzzed)', () => {
  test('random request payloads parse into NAME KEY or a coded ProtocolError', () => {
    fc.assert(fc.property(bytes(), (payload) => onlyProtocolErrors(() => {
      const { name, key } = parseSocketmapRequest(payload);
      assert.ok(name.length > 0 && !name.includes(' '));
      assert.equal(typeof key, 'string');
    })), RUNS);
  });

  test('a reply always fits Postfix: at most 100000 bytes, printable reasons, and parses back', () => {
    const reply = fc.oneof(
      fc.string({ maxLength: 2000, unit: 'grapheme' }).map((data) => ({ status: 'OK' as const, data })),
      fc.constant({ status: 'NOTFOUND' as const }),
      fc.record({ status: fc.constantFrom('TEMP' as const, 'PERM' as const, 'TIMEOUT' as const), reason: fc.string({ maxLength: 500 }) }),
    );
    fc.assert(fc.property(reply, (r) => {
      const { payload } = formatSocketmapReply(r);
      assert.ok(Buffer.byteLength(payload) <= SOCKETMAP_MAX_REPLY_BYTES);
      const back = parseSocketmapReply(payload);
      if (r.status === 'OK' && r.data !== '') assert.deepEqual(back, r);
      if (r.status !== 'OK') {
        assert.equal(back.status, r.status);
        // eslint-disable-next-line no-control-regex
        if ('reason' in back) assert.doesNotMatch(back.reason, /[\x00-\x1f\x7f]/);
      }
    }), RUNS);
    assert.equal(formatSocketmapReply({ status: 'OK', data: 'x'.repeat(SOCKETMAP_MAX_REPLY_BYTES) }).oversize, true);
  });
});

describe('dict line framing (fuzzed)', () => {
  test('random bytes in random chunks: lines within the cap or DICT_LINE_TOO_LONG, never more held than the cap', () => {
    fc.assert(fc.property(bytes(400), cuts, fc.integer({ min: 1, max: 64 }), (input, at, max) => {
      const d = new DictLineDecoder(max);
      onlyProtocolErrors(() => {
        for (const chunk of split(input, at)) {
          d.push(chunk);
          for (let l = d.nextLine(); l !== undefined; l = d.nextLine()) assert.ok(Buffer.byteLength(l) <= max * 3, 'a decoded line is bounded');
        }
      });
    }), RUNS);
  });

  test('lines split anywhere come back whole and in order', () => {
    const line = fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, ''));
    fc.assert(fc.property(fc.array(line), cuts, (lines, at) => {
      const d = new DictLineDecoder(1000);
      const out: string[] = [];
      for (const chunk of split(Buffer.from(lines.map((l) => `${l}\n`).join('')), at)) {
        d.push(chunk);
        for (let l = d.nextLine(); l !== undefined; l = d.nextLine()) out.push(l);
      }
      assert.deepEqual(out, lines.map((l) => Buffer.from(l).toString('utf8')));
    }), RUNS);
  });
});

describe('dict fields, commands and replies (fuzzed)', () => {
  test('escaping round-trips any field and leaves no TAB, CR or LF', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 40 })), (fields) => {
      for (const f of fields) assert.equal(unescapeDictField(escapeDictField(f)), f);
      const line = joinDictFields(fields);
      assert.doesNotMatch(line, /[\r\n]/);
      if (fields.length > 0 && !(fields.length === 1 && fields[0] === '')) assert.deepEqual(splitDictFields(line), fields);
    }), RUNS);
  });

  test('random lines: HELLO and command parsers answer a command or a coded ProtocolError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), fc.constantFrom(2, 3, 4), (line, major) => {
      onlyProtocolErrors(() => parseDictHello(line));
      onlyProtocolErrors(() => parseDictCommand(line, major));
    }), RUNS);
  });

  test('formatted commands parse back to themselves', () => {
    const id = fc.integer({ min: 0, max: 1e9 });
    const key = fc.string({ maxLength: 30 });
    const cmd: fc.Arbitrary<DictCommand> = fc.oneof(
      fc.record({ cmd: fc.constant(DictCommandChar.Lookup), key, user: key }),
      fc.record({ cmd: fc.constant(DictCommandChar.Set), id, key, value: key }),
      fc.record({ cmd: fc.constant(DictCommandChar.Unset), id, key }),
      fc.record({ cmd: fc.constant(DictCommandChar.Commit), id }),
      fc.record({ cmd: fc.constant(DictCommandChar.Iterate), flags: fc.integer({ min: 0, max: 63 }), maxRows: id, paths: fc.tuple(key), user: key }),
    ) as fc.Arbitrary<DictCommand>;
    fc.assert(fc.property(cmd, (c) => {
      assert.deepEqual(parseDictCommand(formatDictCommand(c).slice(0, -1), 3), { ...c });
    }), RUNS);
    fc.assert(fc.property(fc.integer({ min: 2, max: 4 }), fc.nat(99), fc.string({ maxLength: 20 }), (major, minor, dictName) => {
      assert.deepEqual(parseDictHello(formatDictHello({ major, minor, valueType: 0, dictName }).slice(0, -1)), { major, minor, valueType: 0, dictName });
    }), RUNS);
  });

  test('lookup replies are one line and parse back', () => {
    // One empty value and no value are the same bytes on the wire (`M`), so that case is left out.
    const multiValues = fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 4 }).filter((v) => !(v.length === 1 && v[0] === ''));
    fc.assert(fc.property(fc.string({ maxLength: 80 }), multiValues, (value, values) => {
      const ok = formatDictLookupReply({ kind: 'ok', value });
      assert.equal(ok.indexOf('\n'), ok.length - 1);
      assert.deepEqual(parseDictReplyLine(ok.slice(0, -1)), { char: 'O', fields: [value] });
      const multi = parseDictReplyLine(formatDictLookupReply({ kind: 'multi-ok', values }).slice(0, -1));
      assert.equal(multi.char, 'M');
      assert.deepEqual(parseDictMultiValues(multi.fields[0]!), values);
    }), RUNS);
  });
});

describe('auth endpoint codec (fuzzed)', () => {
  test('random request paths: a request, undefined, or a coded ProtocolError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 30 }), (tail, name) => {
      onlyProtocolErrors(() => parseAuthRequestPath(`/v1/passdb/${tail}`));
      onlyProtocolErrors(() => parseAuthRequestPath(tail));
      const r = parseAuthRequestPath(`/v1/userdb/${encodeURIComponent(name)}`);
      if (name !== '') assert.deepEqual(r, { kind: 'userdb', name, utf8: true });
    }), RUNS);
  });

  test('replies round-trip any values and never hold a raw line break in a value', () => {
    const result = fc.constantFrom<AuthReplyResult>('OK', 'UNKNOWN', 'DISABLED', 'TEMPFAIL', 'DENIED', 'BAD_REQUEST');
    const field = fc.tuple(fc.stringMatching(/^[a-z0-9_]{1,10}$/), fc.string({ maxLength: 40 }));
    fc.assert(fc.property(result, fc.array(field, { maxLength: 5 }), (r, fields) => {
      for (const [, v] of fields) assert.equal(decodeAuthValue(escapeAuthValue(v)), v);
      const text = formatAuthReply({ result: r, fields });
      assert.equal(text.split('\n').length, fields.length + 3);
      assert.deepEqual(parseAuthReply(text), { result: r, fields: fields.map(([k, v]) => [k, v]) });
    }), RUNS);
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => onlyProtocolErrors(() => parseAuthReply(text))), RUNS);
  });
});
