import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { runSteps } from '../../src/directory/build-steps.js';
import type { Directory } from '../../src/directory/directory.js';
import { applyRecords, recordsBetween, type DirectoryPatch } from '../../src/directory/directory-changes.js';
import type { RecordSet } from '../../src/directory/directory-data.js';
import { LayeredMap } from '../../src/directory/layered-map.js';
import { buildForDraft, editForDraft } from '../../src/scim/scim-edit.js';
import { ScimMapping } from '../../src/scim/scim-mapping.js';
import { ScimDraft } from '../../src/scim/scim-draft.js';
import { ScimState } from '../../src/scim/scim-state.js';

// A pushed write is edited into the snapshot in place when it only changes users; these
// properties hold that path to the full build it replaces: the same entries, the same stored
// resources, and the same refusals, over small states where addresses collide all the time.

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const MAIL = 'urn:ietf:params:scim:schemas:extension:mailroster:2.0:User';
const DOMAINS = ['example.com', 'example.org'];
const mapping = new ScimMapping(DOMAINS);

const local = fc.constantFrom('a', 'b', 'c', 'sales', 'team');
const address = fc.tuple(local, fc.constantFrom('example.com', 'example.org', 'elsewhere.net')).map(([l, d]) => `${l}@${d}`);
const user = (id: string, addresses = address) => fc.record({
  userName: addresses,
  emails: fc.array(addresses.map((value) => ({ value })), { maxLength: 2 }),
  active: fc.boolean(),
  aliases: fc.array(addresses, { maxLength: 1 }),
}).map((u) => ({ schemas: [USER, MAIL], id, userName: u.userName, emails: u.emails, active: u.active, [MAIL]: { aliases: u.aliases } }));
const ids = fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4');
const group = fc.record({ id: fc.constantFrom('g0', 'g1'), name: address, members: fc.uniqueArray(ids, { maxLength: 3 }) })
  .map((g) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: g.id, displayName: g.name, members: g.members.map((value) => ({ value })) }));
/** One step of a draft: put a user, delete one, or (rarely) put a group or the guard. */
const step = (what: string, run: (d: ScimDraft) => void) => Object.assign(run, { toString: () => what });
const op = fc.oneof(
  { weight: 4, arbitrary: ids.chain((id) => user(id)).map((u) => step(`put ${JSON.stringify(u)}`, (d) => d.put('User', u))) },
  { weight: 2, arbitrary: ids.map((id) => step(`delete ${id}`, (d) => d.delete('User', id))) },
  { weight: 1, arbitrary: group.map((g) => step(`put ${JSON.stringify(g)}`, (d) => d.put('Group', g))) },
  { weight: 1, arbitrary: fc.nat(9).map((n) => step(`guard ${n}`, (d) => d.setGuard({ removals: [n], pending: [] }))) },
);

/** The full build's answer: a directory, or the error a client gets. */
function full(base: Directory | undefined, draft: ScimDraft): Directory | Error {
  try {
    return buildForDraft(base, draft, mapping, DOMAINS);
  } catch (err) {
    return err as Error;
  }
}

function draftOn(base: Directory | undefined, steps: readonly ((d: ScimDraft) => void)[]): ScimDraft {
  const draft = new ScimDraft(ScimState.of(base?.records));
  for (const step of steps) step(draft);
  return draft;
}

describe('pushed writes edited in place', () => {
  test('give the full build\'s entries, resources and refusals', () => {
    let edited = 0;
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), fc.array(op, { minLength: 1, maxLength: 3 }), (seed, steps) => {
      const base = full(undefined, draftOn(undefined, seed));
      if (base instanceof Error) return;
      const draft = draftOn(base, steps);
      const expected = full(base, draft);
      let edit;
      try {
        edit = editForDraft(base, draft, mapping, DOMAINS);
      } catch (err) {
        // Only a user that cannot be mapped at all is refused here, with the full build's error.
        assert.ok(expected instanceof Error, `edit refused what the build took: ${(err as Error).message}`);
        assert.equal((err as Error).message, expected.message);
        return;
      }
      if (!edit) return;
      edited++;
      assert.ok(!(expected instanceof Error), `edit took what the build refused: ${expected instanceof Error && expected.message}`);
      // Entries in any order (an edit puts them in a layer on top); no records left is the same
      // whether it is written {} or left out.
      const byAddress = <T extends { address: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.address < b.address ? -1 : 1));
      const entries = (d: Directory) => ({ ...d.data, mailboxes: byAddress(d.data.mailboxes), lists: byAddress(d.data.lists ?? []), records: d.records?.toObject() ?? {} });
      assert.deepEqual(entries(edit.directory), entries(expected));
      assert.deepEqual(edit.directory.problems, []);
    }), { numRuns: 400 });
    assert.ok(edited > 40, `only ${edited} of 400 drafts took the edit path`);
  });

  test('the resource index of the next request is derived, and equals one built from scratch', () => {
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), fc.array(op, { minLength: 1, maxLength: 3 }), (seed, steps) => {
      const base = full(undefined, draftOn(undefined, seed));
      if (base instanceof Error) return;
      const draft = draftOn(base, steps);
      const after = full(base, draft);
      if (after instanceof Error || !after.records) return;
      ScimState.after(draft, after.records);
      assertIndexedAsFromScratch(ScimState.of(after.records));
    }), { numRuns: 300 });
  });
});

/** Holds a state to the one indexed from scratch from a copy of its records (a copy is a cache miss). */
function assertIndexedAsFromScratch(state: ScimState): void {
  const scratch = ScimState.of(LayeredMap.of(state.records));
  // Read again, so the next state is derived from this one, not from the copy.
  ScimState.of(state.records);
  for (const kind of ['User', 'Group'] as const) assert.deepEqual(runSteps(state.resourcesSteps(kind)), runSteps(scratch.resourcesSteps(kind)));
  assert.deepEqual([...state.userNames].sort(), [...scratch.userNames].sort());
  for (const id of [...state.records].flatMap(([, r]) => [(r as { id?: string }).id, ...((r as { members?: { value: string }[] }).members ?? []).map((m) => m.value)])) {
    if (id !== undefined) assert.deepEqual(state.groupsWith(id), scratch.groupsWith(id), `groups with ${id}`);
  }
  assert.deepEqual(state.guard, scratch.guard);
}

describe('a long run of pushed writes', () => {
  /** The records patch of every write, in order, as the leader logs it for replicas. */
  const patches: DirectoryPatch['records'][] = [];
  // Each write goes where ScimStore sends it (the edit, else the full build) on the snapshot the
  // last one left, over enough users that the record sets and indexes compact along the way.
  const many = fc.integer({ min: 0, max: 89 }).map((n) => `u${n}`);
  // Mostly an address of the user's own, sometimes one the others may hold.
  const own = (id: string) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(`${id}@example.com`, `${id}.x@example.org`) }, { weight: 1, arbitrary: address });
  const bigOp = fc.oneof(
    { weight: 4, arbitrary: many.chain((id) => user(id, own(id))).map((u) => step(`put ${JSON.stringify(u)}`, (d) => d.put('User', u))) },
    { weight: 2, arbitrary: many.map((id) => step(`delete ${id}`, (d) => d.delete('User', id))) },
    { weight: 1, arbitrary: fc.tuple(group, fc.uniqueArray(many, { maxLength: 6 })).map(([g, extra]) => ({ ...g, members: [...g.members, ...extra.map((value) => ({ value }))] }))
      .map((g) => step(`put ${JSON.stringify(g)}`, (d) => d.put('Group', g))) },
  );

  test('each step equals the full build, its records a plain object given the same changes, its index one built from scratch', () => {
    let compactions = 0;
    let edited = 0;
    let written = 0;
    fc.assert(fc.property(fc.array(fc.array(bigOp, { minLength: 1, maxLength: 3 }), { minLength: 250, maxLength: 250 }), (writes) => {
      let dir: Directory | undefined;
      let model: Record<string, unknown> = {};
      for (const steps of writes) {
        const draft = draftOn(dir, steps);
        const expected = full(dir, draft);
        let edit;
        try {
          edit = dir && editForDraft(dir, draft, mapping, DOMAINS);
        } catch {
          edit = undefined;
        }
        if (expected instanceof Error) continue;
        const next = edit?.directory ?? expected;
        written++;
        if (edit) edited++;
        const byAddress = <T extends { address: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.address < b.address ? -1 : 1));
        assert.deepEqual(byAddress(next.data.mailboxes), byAddress(expected.data.mailboxes));
        model = { ...model };
        for (const [k, v] of draft.changes) {
          if (v === null) delete model[k];
          else model[k] = v;
        }
        assert.deepEqual([...(next.records ?? [])], Object.entries(model));
        if (dir?.records && next.records && dir.records.keysChangedSince(next.records) === undefined) compactions++;
        if (next.records) ScimState.after(draft, next.records);
        assertIndexedAsFromScratch(ScimState.of(next.records));
        patches.push(recordsBetween(dir?.records, next.records));
        dir = next;
      }
    }), { numRuns: 10 });
    assert.ok(compactions > 5, `only ${compactions} record sets compacted`);
    assert.ok(edited > written / 2, `only ${edited} of ${written} writes took the edit path`);
  });

  test('a replica taking the same writes from the log indexes each from its last state, as from scratch', () => {
    // What a follower does with each write: its own records patched (applyRecords), then read.
    let records: RecordSet | undefined;
    let before: ScimState | undefined;
    let derived = 0;
    for (const patch of patches) {
      records = applyRecords(records, patch);
      const state = ScimState.of(records);
      // A derived state's indexes are edits of the last one's (a shared base); a full index starts
      // anew, as does a derived one whose index compacted (these states are small: often).
      if (before && state.userNames.keysChangedSince(before.userNames) !== undefined) derived++;
      assertIndexedAsFromScratch(state);
      before = state;
    }
    assert.ok(derived > patches.length / 10, `only ${derived} of ${patches.length} replica states were derived`);
  });

  test('a replica state a few changes from the last one is derived from it', () => {
    const users = Array.from({ length: 1000 }, (_, i) => [`User/u${i}`, { schemas: [USER], id: `u${i}`, userName: `u${i}@example.com` }] as const);
    const first = LayeredMap.of<unknown>(users);
    const before = ScimState.of(first);
    const patch = { put: { 'User/u1': { schemas: [USER], id: 'u1', userName: 'renamed@example.com' }, 'User/new': { schemas: [USER], id: 'new', userName: 'new@example.com' } }, del: ['User/u2'] };
    const state = ScimState.of(applyRecords(first, patch));
    assert.notEqual(state.userNames.keysChangedSince(before.userNames), undefined, 'its index is an edit of the last one');
    assert.deepEqual([state.userNames.get('renamed@example.com'), state.userNames.get('u1@example.com'), state.userNames.get('u2@example.com'), state.userNames.get('new@example.com')], ['u1', undefined, undefined, 'new']);
    assertIndexedAsFromScratch(state);
  });
});
