import { pino } from 'pino';
import type { Writable } from 'node:stream';
import type { AppConfig } from '../config/config.js';
import { createLogger } from '../logger.js';
import { createProvider } from '../providers/provider-factory.js';
import { confirmDeletionsCommand } from '../scim/confirm-command.js';
import { createStore } from '../store/store-factory.js';
import { changedFields, type DirectoryDiff, type SectionDiff } from './directory-diff.js';
import { createSyncEngine } from './sync-factory.js';
import type { SyncOutcome } from './sync-write.js';

/** The options `mailroster sync` takes, in node:util parseArgs form (merged into the CLI's). */
export const SYNC_OPTIONS = {
  once: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  all: { type: 'boolean' },
  'confirm-deletions': { type: 'boolean' },
} as const;

/** Entries printed per section unless `--all`: a first sync of a big directory adds thousands. */
const MAX_LISTED = 100;

/** Exit codes: 0 applied or dry run, 1 sync failed, 2 refused by the deletion guard, 64 usage. */
const EXIT = { ok: 0, failed: 1, refused: 2, usage: 64 } as const;

/** Output streams; progress goes to `err` and only when it is a terminal. */
export interface SyncCommandIo {
  readonly out: Writable;
  readonly err: Writable & { isTTY?: boolean };
}

/**
 * `mailroster sync --once [--dry-run] [--force] [--all]`: one full sync from the provider into the
 * configured store, printing what it adds, removes and changes. It never takes the leader lock:
 * its write is checked against the generation it read, so it cannot clobber a concurrent sync.
 */
export async function syncCommand(config: AppConfig, flags: Readonly<Record<string, unknown>>, io: SyncCommandIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  if (flags['confirm-deletions'] === true) return confirmDeletionsCommand(config, io);
  if (flags.once !== true) {
    io.err.write('mailroster sync: only --once is supported (a running `mailroster serve` syncs continuously)\n');
    return EXIT.usage;
  }
  const progress = io.err.isTTY ? (text: string) => io.err.write(`\r\x1b[K${text}`) : () => undefined;
  const logger = createLogger('silent');
  const store = createStore(config, logger, { leadership: 'none' });
  // Provider warnings (skipped users, retries) go to stderr at the configured level.
  const provider = createProvider(config, createLogger(config.log.level, pino.destination(2)));
  const engine = createSyncEngine(config, { provider, store, logger });
  try {
    progress('loading the current directory from the store...');
    await store.start();
    progress(`fetching the directory from ${provider.name}...`);
    const outcome = await engine.syncNow({ dryRun: flags['dry-run'] === true, force: flags.force === true });
    progress('');
    return report(outcome, io, flags.all === true);
  } finally {
    await engine.stop();
    await store.close();
    await provider.close?.();
  }
}

function report(outcome: SyncOutcome, io: SyncCommandIo, all: boolean): number {
  if (outcome.status === 'failed') {
    io.err.write(`sync failed: ${outcome.error.message}\n`);
    return EXIT.failed;
  }
  if (outcome.status === 'skipped') {
    io.err.write(`sync skipped: ${outcome.reason}\n`);
    return EXIT.failed;
  }
  io.out.write(formatDiff(outcome.diff, all ? Infinity : MAX_LISTED));
  if (outcome.status === 'refused') {
    io.err.write(`refused: ${outcome.refusal.reason}\n`);
    return EXIT.refused;
  }
  const what = outcome.status === 'dry-run' ? 'dry run: nothing written' : 'applied';
  io.out.write(`${what}; the directory has ${outcome.mailboxes} mailboxes${outcome.problems > 0 ? ` (${outcome.problems} entries skipped)` : ''}\n`);
  return EXIT.ok;
}

/** Renders a diff: a count line per section, then `+`, `-` and `~` lines. */
export function formatDiff(diff: DirectoryDiff, maxListed = MAX_LISTED): string {
  const out: string[] = [];
  section(out, 'mailboxes', diff.mailboxes, (m) => m.address, (c) => `${c.after.address} (${changedFields(c.before, c.after).join(', ')})`, maxListed);
  section(out, 'aliases', diff.aliases, (a) => `${a.address} -> ${a.owner}`, (c) => `${c.after.address} -> ${c.after.owner} (was ${c.before.owner})`, maxListed);
  section(out, 'lists', diff.lists, (l) => l.address, (c) => `${c.after.address} (${changedFields(c.before, c.after).join(', ')})`, maxListed);
  if (diff.domains.added.length + diff.domains.removed.length > 0) {
    out.push(`domains: +${diff.domains.added.length} -${diff.domains.removed.length}`);
    out.push(...diff.domains.added.map((d) => `  + ${d}`), ...diff.domains.removed.map((d) => `  - ${d}`));
  }
  if (out.length === 0) out.push('no changes');
  return `${out.join('\n')}\n`;
}

function section<T>(out: string[], name: string, d: SectionDiff<T>, show: (e: T) => string, showChange: (c: { before: T; after: T }) => string, max: number): void {
  const total = d.added + d.removed + d.changed;
  if (total === 0) return;
  out.push(`${name}: +${d.added} -${d.removed} ~${d.changed}`);
  // Only the listed entries are parsed: a first sync of a million mailboxes lists a hundred.
  for (const c of d.list(max)) out.push(c.kind === 'changed' ? `  ~ ${showChange(c)}` : `  ${c.kind === 'added' ? '+' : '-'} ${show(c.entry)}`);
  if (total > max) out.push(`  ... and ${total - max} more (--all lists everything)`);
}
