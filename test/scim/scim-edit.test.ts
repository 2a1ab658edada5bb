import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Directory } from '../../src/directory/directory.js';
import { buildForDraft, editForDraft } from '../../src/scim/scim-edit.js';
import { ScimMapping } from '../../src/scim/scim-mapping.js';
import { ScimDraft, ScimState } from '../../src/scim/scim-state.js';

// A pushed write is edited into the snapshot in place when it only changes users; these
// properties hold that path to the full build it replaces: the same entries, the same stored
// resources, and the same refusals, over small states where addresses collide all the time.

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const MAIL = 'urn:ietf:params:scim:schemas:extension:mailroster:2.0:User';
const DOMAINS = ['example.com', 'example.org'];
const mapping = new ScimMapping(DOMAINS);

const local = fc.constantFrom('a', 'b', 'c', 'sales', 'team');
const address = fc.tuple(local, fc.constantFrom('example.com', 'example.org', 'elsewhere.net')).map(([l, d]) => `${l}@${d}`);
const user = (id: string) => fc.record({
  userName: address,
  emails: fc.array(address.map((value) => ({ value })), { maxLength: 2 }),
  active: fc.boolean(),
  aliases: fc.array(address, { maxLength: 1 }),
}).map((u) => ({ schemas: [USER, MAIL], id, userName: u.userName, emails: u.emails, active: u.active, [MAIL]: { aliases: u.aliases } }));
const ids = fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4');
const group = fc.record({ name: address, members: fc.uniqueArray(ids, { maxLength: 3 }) })
  .map((g) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g0', displayName: g.name, members: g.members.map((value) => ({ value })) }));
/** One step of a draft: put a user, delete one, or (rarely) put the group. */
const step = (what: string, run: (d: ScimDraft) => void) => Object.assign(run, { toString: () => what });
const op = fc.oneof(
  { weight: 4, arbitrary: ids.chain((id) => user(id)).map((u) => step(`put ${JSON.stringify(u)}`, (d) => d.put('User', u))) },
  { weight: 2, arbitrary: ids.map((id) => step(`delete ${id}`, (d) => d.delete('User', id))) },
  { weight: 1, arbitrary: group.map((g) => step(`put ${JSON.stringify(g)}`, (d) => d.put('Group', g))) },
);

/** The full build's answer: a directory, or the error a client gets. */
function full(base: Directory | undefined, draft: ScimDraft): Directory | Error {
  try {
    return buildForDraft(base?.data, draft, mapping, DOMAINS);
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
      const entries = (d: Directory) => ({ ...d.data, mailboxes: byAddress(d.data.mailboxes), lists: byAddress(d.data.lists ?? []), records: d.records ?? {} });
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
      // A copy of the records is a cache miss: indexed from scratch.
      const scratch = ScimState.of({ ...after.records });
      ScimState.after(draft, after.records);
      const derived = ScimState.of(after.records);
      assert.deepEqual([...derived.users].sort(), [...scratch.users].sort());
      assert.deepEqual([...derived.groups].sort(), [...scratch.groups].sort());
      assert.deepEqual([...derived.userNames].sort(), [...scratch.userNames].sort());
      assert.deepEqual(derived.guard, scratch.guard);
    }), { numRuns: 300 });
  });
});
