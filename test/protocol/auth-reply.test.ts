import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeAuthValue, escapeAuthValue, formatAuthReply, parseAuthReply, type AuthReply } from '../../protocol/auth-reply.js';
import { parseAuthRequestPath } from '../../protocol/auth-request.js';
import { ProtocolError } from '../../protocol/protocol-error.js';

describe('auth reply format (MAILROSTER/1)', () => {
  const VECTORS: [AuthReply, string][] = [
    [{ result: 'UNKNOWN', fields: [] }, 'MAILROSTER/1 UNKNOWN\n.\n'],
    [{ result: 'OK', fields: [['user', 'alice@example.com'], ['password', '{PLAIN}a%b'], ['password', '{CRYPT}$6$x']] },
      'MAILROSTER/1 OK\nuser=alice@example.com\npassword={PLAIN}a%25b\npassword={CRYPT}$6$x\n.\n'],
    [{ result: 'OK', fields: [['user', 'odd\x01one@example.com'], ['home', 'a\nb\rc\td\x7f=e']] },
      'MAILROSTER/1 OK\nuser=odd%01one@example.com\nhome=a%0Ab%0Dc%09d%7F=e\n.\n'],
    [{ result: 'TEMPFAIL', fields: [['reason', 'directory not loaded yet']] }, 'MAILROSTER/1 TEMPFAIL\nreason=directory not loaded yet\n.\n'],
    [{ result: 'OK', fields: [['home', '/var/mail/ex\u00e4mple.com/j\u00f6rg'], ['empty', '']] }, 'MAILROSTER/1 OK\nhome=/var/mail/ex\u00e4mple.com/j\u00f6rg\nempty=\n.\n'],
  ];
  for (const [reply, text] of VECTORS) {
    test(`formats and parses ${JSON.stringify(text.split('\n')[0])} with ${reply.fields.length} field(s)`, () => {
      assert.equal(formatAuthReply(reply), text);
      assert.deepEqual(parseAuthReply(text), reply);
    });
  }

  test('every proper prefix of a reply is refused: a cut reply is never mistaken for a whole one', () => {
    const text = formatAuthReply({ result: 'OK', fields: [['user', 'a@b.c'], ['password', '{PLAIN}x']] });
    for (let i = 0; i < text.length; i++) {
      assert.throws(() => parseAuthReply(text.slice(0, i)), ProtocolError, `prefix of ${i}`);
    }
  });

  test('refuses another version, an unknown result, a bad field line and trailing data', () => {
    for (const bad of ['MAILROSTER/2 OK\n.\n', 'MAILROSTER/1 MAYBE\n.\n', 'MAILROSTER/1 OK\nUser=x\n.\n', 'MAILROSTER/1 OK\nnoequals\n.\n', 'MAILROSTER/1 OK\n.\nextra\n']) {
      assert.throws(() => parseAuthReply(bad), ProtocolError, JSON.stringify(bad));
    }
  });

  test('a key outside [a-z0-9_]+ is a bug and throws instead of writing a broken reply', () => {
    assert.throws(() => formatAuthReply({ result: 'OK', fields: [['bad key', 'x']] }));
  });

  test('fuzz: random values round-trip and never hold a raw control byte', () => {
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 2000; i++) {
      let v = '';
      for (let j = rand(40); j > 0; j--) v += String.fromCharCode(rand(4) === 0 ? rand(0x80) : rand(0x3000));
      const escaped = escapeAuthValue(v);
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[\x00-\x1f\x7f]/.test(escaped), JSON.stringify(v));
      assert.equal(decodeAuthValue(escaped), v);
      assert.deepEqual(parseAuthReply(formatAuthReply({ result: 'OK', fields: [['v', v]] })).fields, [['v', v]]);
    }
  });
});

describe('auth request paths (/v1/...)', () => {
  test('passdb, userdb and users; the name percent-decoded as UTF-8', () => {
    assert.deepEqual(parseAuthRequestPath('/v1/users'), { kind: 'users' });
    assert.deepEqual(parseAuthRequestPath('/v1/passdb/alice%40example.com'), { kind: 'passdb', name: 'alice@example.com', utf8: true });
    assert.deepEqual(parseAuthRequestPath('/v1/userdb/j%C3%B6rg@ex%C3%A4mple.com'), { kind: 'userdb', name: 'j\u00f6rg@ex\u00e4mple.com', utf8: true });
    assert.deepEqual(parseAuthRequestPath('/v1/userdb/odd%01one@example.com'), { kind: 'userdb', name: 'odd\x01one@example.com', utf8: true });
    assert.deepEqual(parseAuthRequestPath('/v1/userdb/a%2Fb@example.com'), { kind: 'userdb', name: 'a/b@example.com', utf8: true });
  });

  test('a name that is not UTF-8 is marked, not refused (no directory entry can match it)', () => {
    const r = parseAuthRequestPath('/v1/passdb/%FF%FEx@example.com');
    assert.equal(r?.kind, 'passdb');
    assert.equal(r && 'utf8' in r && r.utf8, false);
  });

  test('other paths are none of ours; a broken percent-escape is a protocol error', () => {
    for (const p of ['/', '/v1', '/v1/passdb', '/v1/passdb/', '/v1/passdb/a/b', '/v2/users', '/v1/users/', '/metrics', '/v1/USERDB/x']) {
      assert.equal(parseAuthRequestPath(p), undefined, p);
    }
    for (const p of ['/v1/passdb/%', '/v1/passdb/a%4', '/v1/userdb/%G0x']) {
      assert.throws(() => parseAuthRequestPath(p), ProtocolError, p);
    }
  });
});
