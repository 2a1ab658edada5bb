import type { Logger } from 'pino';
import type { DirectoryData, MailboxEntry } from '../directory/directory-data.js';
import { AddressVetter, type FieldOwnership, type SelfServiceOptions } from './address-trust.js';
import { ChangeTracker } from './change-tracker.js';
import type { GroupTree } from './group-tree.js';
import { collectAll, type PagedListing } from './paging.js';
import { DirectoryMapper, type MappingOptions, type MappingReport, type ProviderUser } from './provider-mapping.js';

/** Per-entry warnings logged per sync; the rest are only counted, so one bad import cannot flood the log. */
const MAX_WARNINGS = 50;

/** What a full sync needs from a provider: its groups and a paged user listing. */
export interface FullSyncSpec<R> {
  /** Provider name for the summary log line. */
  readonly name: string;
  readonly mapping: MappingOptions;
  readonly logger: Logger | undefined;
  /** Which fields users can set themselves (read from the provider), and how to treat them. */
  readonly trust?: { readonly ownership: FieldOwnership; readonly options: SelfServiceOptions };
  /** Reads the groups; the mapper says which groups' members matter (Keycloak reads only those). */
  readonly groups: (mapper: DirectoryMapper) => Promise<GroupTree>;
  readonly users: PagedListing<R>;
  readonly idOf: (raw: R) => string;
  /** The user as mapping sees it; undefined for accounts that never get mail (service accounts). */
  readonly toUser: (raw: R) => ProviderUser | undefined;
}

/** A full sync's result: the directory and the state incremental updates continue from. */
export interface FullSyncResult {
  readonly data: DirectoryData;
  readonly tracker: ChangeTracker;
  /** The summary counts (also logged). */
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * The full sync both providers share: read the groups and resolve the mailbox group, page through
 * every user mapping each one at once (raw JSON is dropped page by page), add lists, report
 * collisions, and log one summary with every count.
 */
export async function runFullSync<R>(spec: FullSyncSpec<R>, signal: AbortSignal): Promise<FullSyncResult> {
  const started = Date.now();
  const report = warningReporter(spec.logger);
  const vetter = spec.trust && new AddressVetter(spec.trust.ownership, spec.trust.options);
  const mapper = new DirectoryMapper(spec.mapping, report, vetter);
  const tree = await spec.groups(mapper);
  const allowed = mapper.mailboxMembers(tree);
  let excluded = 0;
  const { items, report: paging } = await collectAll(spec.users, spec.idOf, (raw) => {
    const user = spec.toUser(raw);
    if (!user) return void excluded++, null;
    return mapper.mailbox(user, allowed) ?? null;
  }, signal, () => {
    excluded = 0;
    mapper.resetStats();
  });
  const mailboxes: MailboxEntry[] = [];
  for (const v of items.values()) if (v) mailboxes.push(v);
  const data = mapper.directory(mailboxes, tree);
  const mailboxGroupId = spec.mapping.mailboxGroup === '' ? undefined : tree.find(spec.mapping.mailboxGroup).id;
  const tracker = new ChangeTracker(mapper, tree, allowed && new Set(allowed), data, mailboxGroupId);
  const counts = { ...mapper.stats, excluded };
  spec.logger?.info({ ...counts, ...paging, warningsSuppressed: report.suppressed(), ms: Date.now() - started }, `${spec.name} directory fetched`);
  return { data, tracker, counts };
}

/** A MappingReport that logs the first MAX_WARNINGS problems of a sync and counts the rest. */
function warningReporter(logger: Logger | undefined): MappingReport & { readonly suppressed: () => number } {
  let count = 0;
  const report = (who: string, reason: string): void => {
    count++;
    if (count <= MAX_WARNINGS) logger?.warn({ who, reason }, 'provider entry not used as is');
  };
  return Object.assign(report, { suppressed: () => Math.max(0, count - MAX_WARNINGS) });
}
