import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSliced, runSteps, type Steps } from '../../src/directory/build-steps.js';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import type { DirectoryProvider } from '../../src/providers/provider.js';
import { createService } from '../../src/index.js';
import { captureLogger, testConfig } from '../helpers/service.js';
import { socketmapClient } from '../helpers/socketmap-client.js';

/** Enough mailboxes that their build takes a good many slices (about 0.1 s on these machines). */
const MAILBOXES = 40_000;

function directoryOf(n: number): DirectoryData {
  return { mailboxes: Array.from({ length: n }, (_, i) => ({ address: `user${i}@example.com`, aliases: [`alias${i}@example.com`] })) };
}

test('lookups are answered from the served directory while a full sync builds a large one', async () => {
  let next = directoryOf(1);
  let client: Awaited<ReturnType<typeof socketmapClient>> | undefined;
  let asked!: (reply: Promise<string>) => void;
  const during = new Promise<Promise<string>>((r) => (asked = r));
  const provider: DirectoryProvider = {
    name: 'large', strict: true,
    fetchDirectory: async () => {
      // Asked the moment the provider answers: with the build holding the event loop this
      // request would be read only after the new directory is in place.
      if (client) asked(client.query('mailbox', `user${MAILBOXES - 1}@example.com`));
      return next;
    },
  };
  const service = createService(testConfig(), { logger: captureLogger().logger, provider });
  await service.start();
  try {
    await service.sync.syncNow();
    client = await socketmapClient(service.socketmap.addresses[0]!);
    assert.equal(await client.query('mailbox', 'user0@example.com'), 'OK example.com/user0/');
    next = directoryOf(MAILBOXES);
    const synced = service.sync.syncNow();
    let syncDone = false;
    void synced.then(() => (syncDone = true));
    const reply = await (await during);
    assert.equal(syncDone, false, 'the lookup was answered before the sync finished');
    assert.equal(reply, 'NOTFOUND ', 'answered from the directory served until the new one is complete');
    assert.equal((await synced).status, 'applied');
    assert.equal(await client.query('mailbox', `user${MAILBOXES - 1}@example.com`), `OK example.com/user${MAILBOXES - 1}/`);
    client.close();
  } finally {
    await service.stop();
  }
});

function* counted(n: number, log: number[]): Steps<string> {
  for (let i = 0; i < n; i++) {
    log.push(i);
    yield;
  }
  return 'built';
}

test('a sliced build gives what the whole build gives, and stops when its signal aborts', async () => {
  assert.equal(runSteps(counted(3, [])), 'built');
  assert.equal(await runSliced(counted(3, [])), 'built');
  const log: number[] = [];
  const abort = new AbortController();
  // Steps that take longer than a slice, so the build yields (and sees the abort) after the first.
  function* slow(): Steps<string> {
    for (;;) {
      log.push(log.length);
      const until = performance.now() + 5;
      while (performance.now() < until);
      yield;
    }
  }
  const building = runSliced(slow(), abort.signal);
  abort.abort(new Error('stopping'));
  await assert.rejects(building, /stopping/);
  assert.equal(log.length, 1, 'no step ran after the abort');
});
