import { after, before, describe, it } from 'node:test';
import { startScimNode, type ScimNode } from '../helpers/scim-service.js';
import { authentikSequence, entraSequence } from './scim-sequences.js';

describe('SCIM on the memory store', () => {
  let node: ScimNode;
  before(async () => {
    node = await startScimNode({ sync: { deleteGuardFloor: 100 } });
  });
  after(async () => node.stop());

  it('an Authentik-like sequence shows in socketmap and dict answers', async () => {
    await authentikSequence(node, [node]);
  });

  it('an Entra-like sequence (capitalised ops, path-less values, "False") shows in the answers', async () => {
    await entraSequence(node, [node]);
  });
});
