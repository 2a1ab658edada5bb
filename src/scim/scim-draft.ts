import { patchRecords, type DirectoryPatch } from '../directory/directory-changes.js';
import type { RecordSet } from '../directory/directory-data.js';
import type { Resource, ResourceKind } from './scim-resources.js';
import { GUARD_KEY, recordKey, type GuardState, type PendingRemoval, type ScimState } from './scim-state.js';

/** The resource changes one request makes, before they are mapped and written. */
export class ScimDraft {
  readonly base: ScimState;
  /** Record key -> new value; null deletes. */
  readonly changes = new Map<string, unknown>();
  readonly touchedUsers = new Set<string>();
  readonly touchedGroups = new Set<string>();
  /** Mailbox removals this draft makes (for the deletion guard). */
  readonly removals: Omit<PendingRemoval, 'at'>[] = [];

  constructor(base: ScimState) {
    this.base = base;
  }

  /** The resource as this draft leaves it (undefined: absent or deleted). */
  get(kind: ResourceKind, id: string): Resource | undefined {
    const key = recordKey(kind, id);
    return this.changes.has(key) ? ((this.changes.get(key) as Resource | null) ?? undefined) : this.base.get(kind, id);
  }

  put(kind: ResourceKind, resource: Resource): void {
    const id = resource.id as string;
    const prior = this.get(kind, id);
    this.changes.set(recordKey(kind, id), resource);
    if (kind === 'User') {
      this.touchedUsers.add(id);
      if (prior && prior.active !== false && resource.active === false) this.removals.push({ id, op: 'disable' });
    } else this.touchedGroups.add(id);
  }

  /** Deletes a resource; a deleted User also leaves every group it was in. */
  delete(kind: ResourceKind, id: string): void {
    this.changes.set(recordKey(kind, id), null);
    if (kind === 'Group') return void this.touchedGroups.add(id);
    this.touchedUsers.add(id);
    this.removals.push({ id, op: 'delete' });
    for (const gid of this.base.groupsWith(id)) {
      const g = this.get('Group', gid);
      if (!g) continue;
      this.put('Group', { ...g, members: ((g.members as { value: string }[] | undefined) ?? []).filter((m) => m.value !== id) });
    }
  }

  setGuard(guard: GuardState): void {
    this.changes.set(GUARD_KEY, guard);
  }

  /** The record set after this draft. */
  records(): RecordSet {
    return patchRecords(this.base.records, this.recordsPatch());
  }

  /** This draft's changes as a records patch. */
  recordsPatch(): NonNullable<DirectoryPatch['records']> {
    const put: Record<string, unknown> = {};
    const del: string[] = [];
    for (const [key, value] of this.changes) {
      if (value === null) del.push(key);
      else put[key] = value;
    }
    return { put, del };
  }
}
