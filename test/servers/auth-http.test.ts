import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'node:http';
import { connect } from 'node:net';
import { parseAuthReply } from '../../protocol/auth-reply.js';
import { createService } from '../../src/index.js';
import { AUTH_TEST_YAML } from '../helpers/auth-directory.js';
import { captureLogger, startFileService, testConfig } from '../helpers/service.js';

const SECRET = 'sixteen-chars-or-more-0123';

/** One GET (or `method`) on the auth endpoint: status, body and whether the server closed. */
function call(port: number, path: string, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }, method = 'GET', body?: string): Promise<{ status: number; body: string; close: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode!, body: text, close: res.headers.connection === 'close' }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes in, raw reply out (until the server closes). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => (out += d)).on('close', () => resolve(out)).on('error', reject);
    s.end(bytes);
  });
}

describe('auth endpoint: answers', () => {
  let svc: Awaited<ReturnType<typeof startFileService>>;
  let port: number;
  before(async () => {
    svc = await startFileService(AUTH_TEST_YAML, { auth: { listen: '127.0.0.1:0', secret: SECRET } });
    port = (svc.service.auth!.address as { port: number }).port;
  });
  after(() => svc?.stop());

  test('passdb: canonical user and the hash for an alias login in another case', async () => {
    const r = await call(port, '/v1/passdb/A.Smith%40Example.COM');
    assert.equal(r.status, 200);
    assert.deepEqual(parseAuthReply(r.body), { result: 'OK', fields: [['user', 'alice@example.com'], ['password', '{PLAIN}secret']] });
  });

  test('passdb: DISABLED with the reason and hash; UNKNOWN for no mailbox and for a mailbox without a hash', async () => {
    assert.deepEqual(parseAuthReply((await call(port, '/v1/passdb/carol@example.com')).body), {
      result: 'DISABLED', fields: [['user', 'carol@example.com'], ['reason', 'Account disabled'], ['password', '{PLAIN}carol-pw']],
    });
    for (const name of ['nobody@example.com', 'bob@example.com']) {
      const r = await call(port, `/v1/passdb/${name}`);
      assert.equal(r.status, 200);
      assert.equal(parseAuthReply(r.body).result, 'UNKNOWN', name);
    }
  });

  test('userdb: 2.4 field names, user first; +ext and the escaped \\x01 name', async () => {
    const r = parseAuthReply((await call(port, '/v1/userdb/alice+x@example.com')).body);
    assert.deepEqual(r, { result: 'OK', fields: [['user', 'alice@example.com'], ['uid', '5000'], ['gid', '5000'], ['home', '/var/mail/example.com/alice'], ['quota_storage_size', '2G']] });
    const odd = await call(port, '/v1/userdb/odd%01one@example.com');
    assert.match(odd.body, /^user=odd%01one@example\.com$/m);
    assert.equal(parseAuthReply((await call(port, '/v1/userdb/carol@example.com')).body).result, 'UNKNOWN');
  });

  test('users: every mailbox that receives mail, no disabled one, no hashes', async () => {
    const r = await call(port, '/v1/users');
    assert.deepEqual(parseAuthReply(r.body), { result: 'OK', fields: [['user', 'alice@example.com'], ['user', 'bob@example.com'], ['user', 'odd\x01one@example.com']] });
  });
});

describe('auth endpoint: bad input gets a clear status, nothing leaks, nothing crashes', () => {
  let svc: Awaited<ReturnType<typeof startFileService>>;
  let port: number;
  before(async () => {
    svc = await startFileService(AUTH_TEST_YAML, { auth: { listen: '127.0.0.1:0', secret: SECRET, maxHeaderBytes: 2048 } });
    port = (svc.service.auth!.address as { port: number }).port;
  });
  after(() => svc?.stop());

  test('no secret, a wrong one, one without "Bearer": 401 DENIED, for every path', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope' }, { authorization: `Bearer ${SECRET}x` }, { authorization: SECRET }, { authorization: `bearer ${SECRET}` }]) {
      for (const path of ['/v1/passdb/alice@example.com', '/v1/users', '/metrics', '/nope']) {
        const r = await call(port, path, headers);
        assert.equal(r.status, 401, `${JSON.stringify(headers)} ${path}`);
        assert.equal(parseAuthReply(r.body).result, 'DENIED');
        assert.doesNotMatch(r.body, /alice|PLAIN|sixteen/);
      }
    }
  });

  test('odd paths 404, broken percent-escapes 400, a non-UTF-8 name is simply unknown, a query is ignored', async () => {
    for (const path of ['/', '/v1/passdb/', '/v1/passdb/a/b', '/v1/../etc/passwd', '/metrics', '/v1/userdb/%2e%2e/x']) {
      assert.equal((await call(port, path)).status, 404, path);
    }
    for (const path of ['/v1/passdb/%zz', '/v1/userdb/abc%']) {
      const r = await call(port, path);
      assert.equal(r.status, 400, path);
      assert.equal(parseAuthReply(r.body).result, 'BAD_REQUEST');
    }
    const latin = await call(port, '/v1/passdb/%FFalice@example.com');
    assert.equal(latin.status, 200);
    assert.equal(parseAuthReply(latin.body).result, 'UNKNOWN');
    assert.equal(parseAuthReply((await call(port, '/v1/userdb/bob@example.com?x=1')).body).result, 'OK');
  });

  test('only GET, never a body: 405 for POST, 413 and a closed connection for a GET with a body', async () => {
    assert.equal((await call(port, '/v1/users', undefined, 'POST')).status, 405);
    const withBody = await call(port, '/v1/users', { authorization: `Bearer ${SECRET}`, 'content-length': '5' }, 'GET', 'hello');
    assert.equal(withBody.status, 413);
    assert.equal(withBody.close, true);
  });

  test('an oversize request head is refused with 431 before it is buffered; malformed HTTP gets 400', async () => {
    const big = await raw(port, `GET /v1/users HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(4096)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.match(await raw(port, 'HELLO THERE\r\n\r\n'), /^HTTP\/1\.1 400 /);
    // The server still serves everyone else.
    assert.equal((await call(port, '/v1/users')).status, 200);
  });

  test('refusals are logged with the peer, never the presented secret, the configured one, or a hash', () => {
    const logs = svc.logs();
    const denied = logs.filter((l) => l.msg === 'auth request without the right secret; refused');
    assert.ok(denied.length > 0 && denied.every((l) => typeof l.peer === 'string'));
    assert.ok(logs.some((l) => l.msg === 'malformed auth request; closing connection'));
    const all = JSON.stringify(logs);
    assert.ok(!all.includes(SECRET) && !all.includes('nope') && !all.includes('{PLAIN}'));
  });
});

describe('auth endpoint: cannot say now', () => {
  test('before a directory is loaded every request is 503 TEMPFAIL with the reason, never UNKNOWN', async () => {
    const svc = await startFileService('mailboxes: 5\n', { auth: { listen: '127.0.0.1:0', secret: SECRET } });
    try {
      const port = (svc.service.auth!.address as { port: number }).port;
      for (const path of ['/v1/passdb/alice@example.com', '/v1/userdb/nobody@example.com', '/v1/users']) {
        const r = await call(port, path);
        assert.equal(r.status, 503, path);
        assert.deepEqual(parseAuthReply(r.body), { result: 'TEMPFAIL', fields: [['reason', 'directory not loaded yet']] });
      }
    } finally {
      await svc.stop();
    }
  });

  test('auth.listen without a secret, or on a UNIX socket, is refused at start', () => {
    assert.throws(() => createService(testConfig({ auth: { listen: '127.0.0.1:0' } }), { logger: captureLogger().logger }), /auth\.secret \(or auth\.secretFile\) is empty/);
    assert.throws(() => testConfig({ auth: { listen: '/run/x.sock', secret: SECRET } }), /auth\.listen.*UNIX sockets/);
  });
});

describe('auth endpoint: a large user iteration', () => {
  test('lookups on other connections are answered while the user list is made', async () => {
    const n = 60_000;
    const yaml = `mailboxes:\n${Array.from({ length: n }, (_, i) => `  - address: user${i}@example.com\n`).join('')}`;
    const svc = await startFileService(yaml, { auth: { listen: '127.0.0.1:0', secret: SECRET } });
    try {
      const port = (svc.service.auth!.address as { port: number }).port;
      const order: string[] = [];
      const users = call(port, '/v1/users').then((r) => (order.push('users'), r));
      await new Promise((r) => setTimeout(r, 5));
      const userdb = call(port, '/v1/userdb/user7@example.com').then((r) => (order.push('userdb'), r));
      const [list, one] = await Promise.all([users, userdb]);
      assert.equal(parseAuthReply(one.body).result, 'OK');
      const listed = parseAuthReply(list.body);
      assert.equal(listed.fields.length, n);
      const expected = Array.from({ length: n }, (_, i) => `user${i}@example.com`).sort();
      assert.deepEqual(listed.fields.map(([, user]) => user), expected, 'every user once, in address order');
      assert.deepEqual(order, ['userdb', 'users'], 'the single lookup did not wait for the whole list');
    } finally {
      await svc.stop();
    }
  });
});
