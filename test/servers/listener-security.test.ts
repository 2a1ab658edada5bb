import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createLogger, REDACT_PATHS } from '../../src/logger.js';
import { bindServer } from '../../src/servers/bind.js';
import { captureLogger, startFileService } from '../helpers/service.js';
import { socketmapClient } from '../helpers/socketmap-client.js';
import { tempDir } from '../helpers/temp.js';

describe('listener security', () => {
  test('a UNIX socket has its final mode the moment it exists (no wider window before chmod)', async () => {
    const tmp = tempDir();
    const path = join(tmp.path, 's.sock');
    const server = createServer();
    const previous = process.umask(0o022);
    try {
      let modeAtBind = -1;
      server.once('listening', () => (modeAtBind = statSync(path).mode & 0o777));
      await bindServer(server, { kind: 'unix', path }, 'socketmap.listen', captureLogger().logger, 0o600);
      assert.equal(modeAtBind, 0o600);
      assert.equal(process.umask(), 0o022, 'the process umask is restored');
    } finally {
      process.umask(previous);
      server.close();
      tmp.remove();
    }
  });

  test('a TCP listener off loopback is warned about, naming the key', async () => {
    const svc = await startFileService('mailboxes:\n  - address: alice@example.com\n', { socketmap: { listen: ['0.0.0.0:0'] } });
    const warning = svc.logs().find((l) => l.level === 40 && String(l.msg).includes('not loopback'));
    assert.ok(warning, 'warned');
    assert.equal(warning!.key, 'socketmap.listen');
    assert.ok(!svc.logs().some((l) => String(l.msg).includes('not loopback') && String(l.endpoint).startsWith('127.')));
    await svc.stop();
  });

  test('connection limits and timeouts change live on reload; endpoints are reported as needing a restart', async () => {
    const svc = await startFileService('mailboxes:\n  - address: alice@example.com\n', { socketmap: { listen: ['127.0.0.1:0'], maxConnections: 1 } });
    const ep = svc.service.socketmap.addresses[0]!;
    const first = await socketmapClient(ep);
    assert.equal(await (await socketmapClient(ep)).next(), '<closed>', 'limit 1');
    const { loadConfig } = await import('../../src/config/config.js');
    const next = loadConfig({ env: {}, overrides: { socketmap: { listen: ['127.0.0.1:10999'], maxConnections: 5 }, provider: { type: 'file', file: { path: svc.file } } } }).config;
    const outcome = await svc.service.reload(next);
    assert.deepEqual(outcome.applied, ['socketmap.maxConnections']);
    assert.deepEqual(outcome.restartNeeded, ['socketmap.listen']);
    const second = await socketmapClient(ep);
    assert.equal(await second.query('mailbox', 'alice@example.com'), 'OK example.com/alice/');
    assert.equal(await first.query('mailbox', 'alice@example.com'), 'OK example.com/alice/', 'the old connection survived');
    first.close();
    second.close();
    await svc.stop();
  });
});

describe('log redaction', () => {
  test('secrets never reach a log line, at the top level or nested', () => {
    const chunks: string[] = [];
    const logger = createLogger('info', { write: (s: string) => void chunks.push(s) });
    const secrets = { password: 's3cret-a', token: 's3cret-b', clientSecret: 's3cret-c', secret: 's3cret-d', passwordHash: '{PLAIN}s3cret-e', authorization: 'Bearer s3cret-f' };
    logger.info(secrets, 'top level');
    logger.info({ req: secrets, user: { profile: { passwordHash: '{PLAIN}s3cret-g' } }, headers: { authorization: 'Bearer s3cret-h' } }, 'nested');
    logger.child({ component: 'provider' }).warn({ config: { keycloak: { clientSecret: 's3cret-i' } } }, 'child');
    const out = chunks.join('');
    assert.doesNotMatch(out, /s3cret/);
    assert.equal((out.match(/\[redacted\]/g) ?? []).length, 6 + 6 + 1 + 1 + 1);
    assert.ok(REDACT_PATHS.includes('*.*.passwordHash'));
  });
});
