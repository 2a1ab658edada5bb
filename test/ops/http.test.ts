import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createService } from '../../src/index.js';
import { gatedProvider } from '../helpers/gated-provider.js';
import { captureLogger, testConfig } from '../helpers/service.js';
import { socketmapClient } from '../helpers/socketmap-client.js';

describe('operations HTTP endpoint', () => {
  test('healthz follows readiness; metrics count lookups and malformed input; status reports the store', async () => {
    const provider = gatedProvider({ mailboxes: [{ address: 'alice@example.com' }] });
    const service = createService(testConfig({ http: { listen: '127.0.0.1:0' } }), { logger: captureLogger().logger, provider });
    await service.start();
    const ep = service.http.address!;
    const base = `http://127.0.0.1:${ep.kind === 'tcp' ? ep.port : 0}`;

    const before = await fetch(`${base}/healthz`);
    assert.equal(before.status, 503);
    assert.equal(await before.text(), 'directory not loaded yet\n');

    provider.open();
    await service.sync.syncNow();
    assert.equal((await fetch(`${base}/healthz`)).status, 200);

    const c = await socketmapClient(service.socketmap.addresses[0]!);
    await c.query('mailbox', 'alice@example.com');
    await c.query('mailbox', 'nobody@example.com');
    c.writeRaw('garbage');
    await c.closed();

    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^mailroster_lookups_total\{proto="socketmap",map="mailbox",result="found"\} 1$/m);
    assert.match(metrics, /^mailroster_lookups_total\{proto="socketmap",map="mailbox",result="not-found"\} 1$/m);
    assert.match(metrics, /^mailroster_protocol_errors_total\{proto="socketmap",code="NETSTRING_BAD_LENGTH"\} 1$/m);
    assert.match(metrics, /^mailroster_ready 1$/m);
    assert.match(metrics, /^mailroster_directory_mailboxes 1$/m);

    const status = await (await fetch(`${base}/status`)).json() as { store: { ready: boolean; mailboxes: number } };
    assert.equal(status.store.ready, true);
    assert.equal(status.store.mailboxes, 1);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    await service.stop();
  });
});
