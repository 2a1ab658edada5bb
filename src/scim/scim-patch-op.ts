import { scimPatch, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { forbiddenPath } from './scim-body.js';
import { badRequest, type ScimType } from './scim-error.js';
import type { Resource } from './scim-resources.js';
import { URN } from './scim-schemas.js';

const OPS = new Set(['add', 'remove', 'replace']);

/**
 * Applies a PatchOp body (RFC 7644 §3.5.2) to a copy of a stored resource with scim-patch, which
 * handles filtered paths (`emails[type eq "work"].value`, `members[value eq "id"]`), Entra ID's
 * capitalised `Replace`/`Add`/`Remove` and path-less value objects. The body is checked here first:
 * its shape, the op names and every path (no `__proto__`-style segment ever reaches the library).
 * The result is unvalidated: the caller normalises it like a PUT body.
 */
export function applyPatchOp(stored: Resource, body: unknown): Resource {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('invalidSyntax', 'a PATCH body must be a PatchOp object');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.schemas) || !b.schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.patch.toLowerCase())) {
    throw badRequest('invalidSyntax', `"schemas" must be ["${URN.patch}"]`);
  }
  const ops = b.Operations ?? b.operations;
  if (!Array.isArray(ops) || ops.length === 0) throw badRequest('invalidSyntax', '"Operations" must be a non-empty list');
  const checked: ScimPatchOperation[] = ops.map((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('invalidSyntax', `Operations[${i}] must be an object`);
    const o = raw as Record<string, unknown>;
    const op = typeof o.op === 'string' ? o.op.toLowerCase() : '';
    if (!OPS.has(op)) throw badRequest('invalidSyntax', `Operations[${i}].op must be add, remove or replace`);
    if (o.path !== undefined && (typeof o.path !== 'string' || forbiddenPath(o.path))) throw badRequest('invalidPath', `Operations[${i}].path is not a usable attribute path`);
    if (op === 'remove' && o.path === undefined && o.value === undefined) throw badRequest('noTarget', `Operations[${i}]: remove needs a path`);
    if (op !== 'remove' && !('value' in o)) throw badRequest('invalidValue', `Operations[${i}]: ${op} needs a value`);
    if (o.path !== undefined && /^(id|meta|schemas)(\.|$)/i.test(o.path as string)) throw badRequest('mutability', `Operations[${i}]: ${String(o.path)} is read-only`);
    return { op, ...(o.path !== undefined && { path: o.path }), ...('value' in o && { value: o.value }) } as ScimPatchOperation;
  });
  try {
    return scimPatch(structuredClone(stored) as unknown as ScimResource, checked, { mutateDocument: true, treatMissingAsAdd: true }) as unknown as Resource;
  } catch (err) {
    const code = (err as { scimCode?: string }).scimCode;
    const type: ScimType = code === 'invalidPath' || code === 'noTarget' || code === 'invalidValue' ? code : 'invalidSyntax';
    throw badRequest(type, `PATCH cannot be applied: ${(err as Error).message}`);
  }
}
