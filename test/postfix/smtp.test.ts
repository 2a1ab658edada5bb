import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createService } from '../../src/index.js';
import { missingBinaries } from '../helpers/binaries.js';
import { gatedProvider } from '../helpers/gated-provider.js';
import { freePort } from '../helpers/net.js';
import { startPostfix, type PostfixInstance } from '../helpers/postfix-instance.js';
import { captureLogger, testConfig } from '../helpers/service.js';
import { rcptCodes } from '../helpers/smtp-client.js';

const DIRECTORY = {
  domains: ['example.com', 'example.net'],
  mailboxes: [
    { address: 'alice@example.com', aliases: ['a.smith@example.com', '@example.net'] },
    { address: 'bob@example.com' },
  ],
  lists: [{ address: 'team@example.com', members: ['alice@example.com', 'bob@example.com'] }],
};

describe('a real Postfix looking up through mailroster', { skip: missingBinaries('postfix') }, () => {
  let postfix: PostfixInstance;
  let port: number;
  const provider = gatedProvider(DIRECTORY);
  const service = () => createService(testConfig({ socketmap: { listen: [`127.0.0.1:${port}`] } }), { logger: captureLogger().logger, provider });
  let running: ReturnType<typeof service>;

  before(async () => {
    port = await freePort();
    running = service();
    await running.start();
    postfix = await startPostfix({ socketmap: `inet:127.0.0.1:${port}` });
  });
  after(async () => {
    await running.stop();
    await postfix.stop();
  });

  test('defers (4xx) every recipient while the directory is not loaded yet', async () => {
    // Each phase uses fresh addresses: smtpd caches resolver answers per process, failures included.
    const codes = await rcptCodes(postfix.smtpPort, ['bob@example.com', 'ghost1@example.com']);
    assert.deepEqual(codes, { 'bob@example.com': '451 4.3.0', 'ghost1@example.com': '451 4.3.0' });
  });

  test('accepts mailbox, alias, list, catch-all and +tag recipients, rejects unknown users with 550', async () => {
    provider.open();
    await running.sync.syncNow();
    const codes = await rcptCodes(postfix.smtpPort, [
      'alice@example.com', 'a.smith@example.com', 'team@example.com', 'anyone@example.net', 'bob+tag@example.com',
      'Alice@Example.COM', 'nobody@example.com', 'someone@foreign.test',
    ]);
    assert.deepEqual(codes, {
      'alice@example.com': '250 2.1.5', 'a.smith@example.com': '250 2.1.5', 'team@example.com': '250 2.1.5',
      'anyone@example.net': '250 2.1.5', 'bob+tag@example.com': '250 2.1.5', 'Alice@Example.COM': '250 2.1.5',
      'nobody@example.com': '550 5.1.1', 'someone@foreign.test': '554 5.7.1',
    });
  });

  test('defers (4xx), never bounces, while mailroster is stopped, and recovers when it is back', async () => {
    await running.stop();
    const codes = await rcptCodes(postfix.smtpPort, ['alice+stopped@example.com', 'ghost2@example.com']);
    assert.equal(codes['alice+stopped@example.com']!.slice(0, 1), '4');
    assert.equal(codes['ghost2@example.com']!.slice(0, 1), '4');
    running = service();
    await running.start();
    await running.sync.syncNow();
    const back = await rcptCodes(postfix.smtpPort, ['alice+back@example.com', 'ghost3@example.com']);
    assert.deepEqual(back, { 'alice+back@example.com': '250 2.1.5', 'ghost3@example.com': '550 5.1.1' });
  });
});
