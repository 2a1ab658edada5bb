import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import type { DirectoryChange, DirectoryProvider } from '../../src/providers/provider.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { SyncEngine, type SyncEngineOptions } from '../../src/sync/sync-engine.js';
import { waitFor } from '../helpers/net.js';
import { captureLogger } from '../helpers/service.js';

/** A provider whose answers the test scripts: data, failures, a change feed, a delay. */
class ScriptedProvider implements DirectoryProvider {
  readonly name = 'scripted';
  readonly strict = true;
  data: DirectoryData = { mailboxes: [{ address: 'alice@example.com', id: 'u1' }, { address: 'bob@example.com', id: 'u2' }] };
  failuresLeft = 0;
  delayMs = 0;
  fetches = 0;
  feed: DirectoryChange[][] = [];
  cursors: (string | undefined)[] = [];

  async fetchDirectory(): Promise<DirectoryData> {
    this.fetches++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('provider unavailable');
    }
    return this.data;
  }

  async fetchChanges(cursor: string | undefined): Promise<{ changes: DirectoryChange[]; cursor: string }> {
    this.cursors.push(cursor);
    const n = Number(cursor ?? 0);
    if (cursor === undefined) return { changes: [], cursor: String(this.feed.length) };
    return { changes: this.feed.slice(n).flat(), cursor: String(this.feed.length) };
  }
}

function engine(provider: ScriptedProvider, options: Partial<SyncEngineOptions> = {}) {
  const store = new MemoryStore();
  const { logger, lines } = captureLogger();
  const sync = new SyncEngine({ provider, store, logger, intervalSeconds: 0, retryInitialSeconds: 0.02, retryMaxSeconds: 0.1, changesIntervalSeconds: 0, ...options });
  return { store, sync, logs: lines };
}

describe('sync engine', () => {
  test('retries a failing provider with backoff by itself, then loads', async () => {
    const p = new ScriptedProvider();
    p.failuresLeft = 3;
    const { store, sync, logs } = engine(p);
    const first = await sync.start();
    assert.equal(first.status, 'failed');
    assert.equal(store.current(), undefined, 'nothing is served before a complete directory');
    await waitFor(() => store.current(), 10_000, 'the retries to succeed');
    assert.equal(p.fetches, 4);
    assert.equal(sync.stats.failures, 3);
    assert.deepEqual(logs().filter((l) => l.msg === 'sync failed; the last good directory keeps serving').map((l) => l.failures), [1, 2, 3]);
    await sync.stop();
  });

  test('a failed sync keeps the last good directory', async () => {
    const p = new ScriptedProvider();
    const { store, sync } = engine(p, { retryInitialSeconds: 60 });
    await sync.start();
    p.failuresLeft = 1;
    assert.equal((await sync.syncNow()).status, 'failed');
    assert.equal(store.current()?.mailboxCount, 2);
    await sync.stop();
  });

  test('single flight: a burst of requests during a sync runs at most one more', async () => {
    const p = new ScriptedProvider();
    p.delayMs = 50;
    const { sync } = engine(p);
    const first = sync.syncNow();
    await waitFor(() => p.fetches === 1, 10_000, 'the first sync to start');
    const burst = [sync.syncNow(), sync.syncNow(), sync.syncNow(), sync.syncNow()];
    const outcome = await first;
    assert.ok((await Promise.all(burst)).every((o) => o === outcome), 'requests during a sync get that sync');
    await waitFor(() => p.fetches === 2, 10_000, 'the one queued re-run');
    await sync.stop();
    assert.equal(p.fetches, 2);
  });

  test('applies the change feed between full syncs, resuming from the cursor taken before the full read', async () => {
    const p = new ScriptedProvider();
    const { store, sync } = engine(p);
    await sync.start();
    assert.deepEqual(p.cursors, [undefined], 'the cursor is taken before the first full read');
    p.feed.push([{ op: 'upsert-mailbox', mailbox: { address: 'carol@example.com', id: 'u3' } }]);
    p.feed.push([{ op: 'upsert-mailbox', mailbox: { address: 'alice.new@example.com', id: 'u1' } }]);
    assert.equal(await sync.pullChanges(), 2);
    assert.deepEqual(store.current()?.sortedMailboxes.map((m) => m.address), ['alice.new@example.com', 'bob@example.com', 'carol@example.com']);
    assert.equal(await sync.pullChanges(), 0);
    assert.deepEqual(p.cursors, [undefined, '0', '2']);
    assert.equal(p.fetches, 1, 'no full sync was needed');
    assert.equal(sync.stats.changesApplied, 2);
    await sync.stop();
  });

  test('a change batch that removes too much is refused and stays pending', async () => {
    const p = new ScriptedProvider();
    p.data = { mailboxes: Array.from({ length: 10 }, (_, i) => ({ address: `u${i}@example.com`, id: `id${i}` })) };
    const { store, sync } = engine(p);
    await sync.start();
    p.feed.push(Array.from({ length: 5 }, (_, i) => ({ op: 'remove-mailbox' as const, id: `id${i}` })));
    assert.equal(await sync.pullChanges(), 0);
    assert.equal(store.current()?.mailboxCount, 10);
    assert.equal(sync.stats.refused, 1);
    assert.deepEqual(p.cursors.at(-1), '0');
    assert.equal(await sync.pullChanges(), 0);
    assert.deepEqual(p.cursors.at(-1), '0', 'the cursor did not move past the refused batch');
    await sync.stop();
  });
});
