import pino from 'pino';
import { Directory } from '../src/directory/directory.js';
import { DeletionWindow } from '../src/scim/deletion-window.js';
import { buildForDraft } from '../src/scim/scim-edit.js';
import { compileFilter } from '../src/scim/scim-filter.js';
import { ScimMapping } from '../src/scim/scim-mapping.js';
import { ScimOperations } from '../src/scim/scim-operations.js';
import type { Resource } from '../src/scim/scim-resources.js';
import { ScimDraft } from '../src/scim/scim-draft.js';
import { ScimState } from '../src/scim/scim-state.js';
import { ScimStore } from '../src/scim/scim-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { Benchmark, BenchResult } from './bench-api.js';
import { longestGap } from './loop-gaps.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const DOMAINS = ['example.com', 'example.org'];
const seconds = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e9;
const user = (id: string): Resource => ({ schemas: [USER], id, userName: `${id}@example.com`, emails: [{ value: `${id}.alias@example.com` }], meta: { resourceType: 'User' } });

/**
 * One pushed user when the directory already holds many pushed users (an IdP's initial push, or
 * any later change): each write through ScimStore, in process. The baseline, in the same run, is
 * what each write cost before: the full build of the whole directory from the draft.
 */
const bench: Benchmark = async ({ quick }) => {
  const size = quick ? 10_000 : 100_000;
  const writes = quick ? 10 : 30;
  const mapping = new ScimMapping(DOMAINS);
  const records: Record<string, unknown> = {};
  const mailboxes = [];
  for (let i = 0; i < size; i++) {
    const r = user(`u${i}`);
    records[`User/u${i}`] = r;
    mailboxes.push(mapping.mailbox(r));
  }
  const store = new MemoryStore();
  await store.replace(Directory.build({ domains: DOMAINS, mailboxes, lists: [], records }, { strict: true, source: 'scim' }));
  const logger = pino({ level: 'silent' });
  const scim = new ScimStore({ store, logger, domains: DOMAINS, mapping, guard: new DeletionWindow({ maxDeletePercent: 100, floor: 1e9, windowSeconds: 60, logger }) });

  let total = 0;
  let worst = 0;
  let worstGap = 0;
  for (let i = 0; i < writes; i++) {
    const w = await longestGap(() => scim.write((d) => d.put('User', user(`new${i}`))));
    total += w.ms / 1000;
    worst = Math.max(worst, w.ms / 1000);
    worstGap = Math.max(worstGap, w.gapMs);
  }
  if (store.current()?.mailbox(`new${writes - 1}@example.com`) === undefined) throw new Error('the pushed users were not written');
  const base = store.current()!;
  const draft = new ScimDraft(ScimState.of(base.records));
  draft.put('User', user('one-more'));
  const t = process.hrtime.bigint();
  buildForDraft(base, draft, mapping, DOMAINS);
  const full = seconds(t);
  // A group: only the full build decides (lists), made in slices; the longest gap between turns
  // while it is written is what a lookup waits, against the same build in one turn.
  const group = (n: number): Resource => ({ schemas: [GROUP], id: `g${n}`, displayName: `team${n}@example.com`, members: [{ value: 'u1' }, { value: 'u2' }], meta: { resourceType: 'Group' } });
  const groupDraft = new ScimDraft(ScimState.of(store.current()!.records));
  groupDraft.put('Group', group(0));
  const g = process.hrtime.bigint();
  buildForDraft(store.current(), groupDraft, mapping, DOMAINS);
  const groupWhole = seconds(g);
  const sliced = await longestGap(() => scim.write((d) => d.put('Group', group(1))));
  const [groupGap, groupSliced] = [sliced.gapMs, sliced.ms / 1000];
  if (store.current()?.list('team1@example.com') === undefined) throw new Error('the pushed group was not written');
  const label = `${size / 1000}k`;
  const lists = await listRows(scim, label, Math.floor(size / 2));
  const rows: BenchResult[] = [
    ...lists,
    { name: `SCIM group put with ${label} pushed users held (the full build): longest event-loop stall`, value: groupGap, unit: 'ms', ratio: { value: groupGap / (groupWhole * 1000), against: `the same build in one turn (${(groupWhole * 1000).toFixed(0)} ms)` } },
    { name: `SCIM group put with ${label} pushed users held: the write, in slices`, value: groupSliced * 1000, unit: 'ms', ratio: { value: groupSliced / groupWhole, against: `the same build in one turn (${(groupWhole * 1000).toFixed(0)} ms)` } },
    { name: `SCIM create with ${label} pushed users held (in process): time per write`, value: (total / writes) * 1000, unit: 'ms', ratio: { value: total / writes / full, against: `the full build of the directory from the draft (${(full * 1000).toFixed(0)} ms, what each write cost before)` } },
    { name: `SCIM create with ${label} pushed users held: longest write (the first: resources indexed, id tables made, in slices)`, value: worst * 1000, unit: 'ms' },
    { name: `SCIM create with ${label} pushed users held: longest event-loop stall over the writes`, value: worstGap, unit: 'ms' },
  ];
  return rows;
};

/**
 * GETs of the collection the index cannot answer: a page deep into an unfiltered import, and a
 * filter on an attribute that is not indexed. The baseline, in the same run, is how a list was
 * made before: every record scanned and tested in one turn, per request.
 */
async function listRows(scim: ScimStore, label: string, middle: number): Promise<BenchResult[]> {
  const ops = new ScimOperations(scim, 200);
  const state = await scim.read();
  const filter = `emails.value eq "u${middle}.alias@example.com"`;
  const inOneTurn = (text: string | undefined): number => {
    const t = process.hrtime.bigint();
    const out: Resource[] = [];
    for (const [key, value] of state.records) if (key.startsWith('User/')) out.push(value as Resource);
    const matches = text ? out.filter(compileFilter(text)) : out;
    if (matches.length === 0) throw new Error('nothing matched');
    return seconds(t) * 1000;
  };
  const page = { startIndex: String(middle), count: '100' };
  const before = { page: inOneTurn(undefined), filter: inOneTurn(filter) };
  const first = await longestGap(() => ops.list('User', page, 'http://x/scim/v2'));
  const next = await longestGap(() => ops.list('User', { ...page, startIndex: String(middle + 100) }, 'http://x/scim/v2'));
  const filtered = await longestGap(() => ops.list('User', { filter }, 'http://x/scim/v2'));
  if ((filtered.result as { totalResults: number }).totalResults !== 1) throw new Error('the filter did not find its user');
  const against = (ms: number): string => `the same scan in one turn, per request, as before (${ms.toFixed(1)} ms)`;
  return [
    { name: `SCIM GET /Users page (startIndex ${middle}, count 100) with ${label} pushed users: longest stall, first page`, value: first.gapMs, unit: 'ms', ratio: { value: first.gapMs / before.page, against: against(before.page) } },
    { name: `SCIM GET /Users page with ${label} pushed users: the next page (the collection read once per snapshot)`, value: next.ms, unit: 'ms', ratio: { value: next.ms / before.page, against: against(before.page) } },
    { name: `SCIM GET /Users?filter=emails.value eq (not indexed) with ${label} pushed users: longest stall`, value: filtered.gapMs, unit: 'ms', ratio: { value: filtered.gapMs / before.filter, against: against(before.filter) } },
  ];
}

export default bench;
