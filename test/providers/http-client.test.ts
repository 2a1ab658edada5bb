import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HttpClient, parseRetryAfter, type HttpClientOptions } from '../../src/providers/http-client.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import { FakeAuthentik } from '../helpers/fake-authentik.js';
import { tempDir } from '../helpers/temp.js';

function client(baseUrl: string, o: Partial<HttpClientOptions> = {}): HttpClient {
  return new HttpClient({ provider: 'test', baseUrl, timeoutMs: 2000, retries: 2, caFile: '', permissionFor: () => 'grant it', retryBaseMs: 5, ...o });
}

describe('provider HTTP client', () => {
  test('trusts a private CA from provider.http.caFile, and refuses the certificate without it', async () => {
    const tmp = tempDir();
    const key = join(tmp.path, 'key.pem');
    const cert = join(tmp.path, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const trusting = client(url, { caFile: cert });
    assert.deepEqual(await trusting.getJson('x', {}, AbortSignal.timeout(5000)), { ok: true });
    const plain = client(url, { retries: 0 });
    const err = await plain.getJson('x', {}, AbortSignal.timeout(5000)).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderError && err.code === 'PROVIDER_HTTP', String(err));
    assert.ok(err.cause, 'the TLS error is kept as cause');
    await trusting.close();
    await plain.close();
    server.closeAllConnections();
    server.close();
    tmp.remove();
  });

  test('a 404 is final: no retry, status kept', async () => {
    const fake = await new FakeAuthentik().start();
    const c = client(fake.url, { authorization: async () => `Bearer ${fake.token}` });
    const err = await c.getJson('api/v3/nothing/', {}, AbortSignal.timeout(5000)).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderError);
    assert.equal(err.status, 404);
    assert.equal(fake.seen(/nothing/).length, 1);
    await c.close();
    await fake.stop();
  });

  test('a 401 calls onUnauthorized and retries once, then names the permission', async () => {
    const fake = await new FakeAuthentik().start();
    fake.fail(/users/, { status: 401 }, Infinity);
    let refreshed = 0;
    const c = client(fake.url, { onUnauthorized: () => void refreshed++ });
    const err = await c.getJson('api/v3/core/users/', {}, AbortSignal.timeout(5000)).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderError);
    assert.equal(err.code, 'PROVIDER_AUTH');
    assert.match(err.message, /401 credentials were rejected; grant it/);
    assert.equal(refreshed, 1);
    assert.equal(fake.seen(/users/).length, 2);
    await c.close();
    await fake.stop();
  });

  test("the caller's abort ends a hung request at once and is not retried", async () => {
    const fake = await new FakeAuthentik().start();
    fake.fail(/users/, { hang: true }, Infinity);
    const c = client(fake.url, { timeoutMs: 60_000, retries: 5 });
    const ac = new AbortController();
    const pending = c.getJson('api/v3/core/users/', {}, ac.signal).catch((e: unknown) => e);
    while (fake.seen(/users/).length === 0) await new Promise((r) => setImmediate(r));
    ac.abort(new Error('service stopping'));
    const err = await pending;
    assert.equal((err as Error).message, 'service stopping');
    assert.equal(fake.seen(/users/).length, 1);
    await c.close();
    await fake.stop();
  });

  test('Retry-After is read as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(['0']), 0);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    const inFuture = parseRetryAfter(new Date(Date.now() + 3_600_000).toUTCString())!;
    assert.ok(inFuture > 3_000_000 && inFuture <= 3_600_000);
    assert.equal(parseRetryAfter(new Date(0).toUTCString()), 0);
  });
});
