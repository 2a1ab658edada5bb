import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runSteps } from '../../src/directory/build-steps.js';
import { LayeredMap } from '../../src/directory/layered-map.js';
import { compileFilter, filterEquality } from '../../src/scim/scim-filter.js';
import type { Resource } from '../../src/scim/scim-resources.js';
import { ScimState } from '../../src/scim/scim-state.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
// userNames that collide in case, sometimes shared outright; ids that differ only in case.
const name = fc.constantFrom('alice@example.com', 'Alice@Example.com', 'bob@example.com', 'carol@example.org');
const idOf = fc.constantFrom('u1', 'U1', 'u2', 'u3', 'u4');
const users = fc.uniqueArray(fc.record({ id: idOf, userName: name }), { selector: (u) => u.id, maxLength: 5 });
const query = fc.tuple(fc.constantFrom('userName', 'USERNAME', `${USER}:userName`, 'id', 'emails.value', 'userName.x'), fc.oneof(name, idOf));

test('a lookup by userName or id from the index finds what testing every resource finds', () => {
  fc.assert(fc.property(users, fc.array(query, { minLength: 1, maxLength: 4 }), (us, queries) => {
    const records = LayeredMap.of<unknown>(us.map((u) => [`User/${u.id}`, { schemas: [USER], ...u, emails: [{ value: u.userName }] }] as const));
    const state = ScimState.of(records);
    const all = runSteps(state.resourcesSteps('User'));
    for (const [attr, value] of queries) {
      const text = `${attr} eq ${JSON.stringify(value)}`;
      const f = compileFilter(text);
      const equality = filterEquality(text);
      const from = (equality && state.candidates('User', equality.attr, equality.value)) ?? all;
      assert.deepEqual(from.filter(f).map((r: Resource) => r.id), all.filter(f).map((r) => r.id), text);
    }
  }), { numRuns: 500 });
});
