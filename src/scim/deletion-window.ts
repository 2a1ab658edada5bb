import type { Logger } from 'pino';
import { ScimError } from './scim-error.js';
import { ScimDraft } from './scim-draft.js';
import type { GuardState, PendingRemoval } from './scim-state.js';

/** Limits of the pushed-removal guard (sync.maxDeletePercent, sync.deleteGuardFloor, scim.deleteWindowSeconds). */
export interface DeletionWindowOptions {
  readonly maxDeletePercent: number;
  readonly floor: number;
  readonly windowSeconds: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * The deletion guard for pushes. A SCIM client removes users one request at a time (Entra ID with
 * a wrong scope deprovisions everyone that way), so no single request looks like a mass removal:
 * removals (DELETE of a user, or active=false) are counted over a sliding window instead. Past
 * `maxDeletePercent` of the mailboxes held at the window's start (and above the floor), a removal
 * is refused with 503, recorded as pending and logged; `mailroster sync --confirm-deletions`
 * applies the pending ones and opens a new window. A pending user the IdP writes again (its next
 * full push, after the scope was fixed) is no longer pending. The state lives beside the directory, so every
 * server counts the same removals.
 */
export class DeletionWindow {
  readonly #o: DeletionWindowOptions;

  constructor(options: DeletionWindowOptions) {
    this.#o = options;
  }

  /**
   * Checks a draft against the window. Allowed: records its removals in the draft and returns
   * undefined. Refused: returns the draft to write instead (the pending removals only) and the error.
   */
  check(draft: ScimDraft, mailboxes: number, force: boolean): { draft: ScimDraft; error: ScimError } | undefined {
    // Forced (the operator's confirmation): the caller sets the guard state itself.
    if (force) return undefined;
    const now = (this.#o.now ?? Date.now)();
    const guard = draft.base.guard;
    const recent = guard.removals.filter((t) => t > now - this.#o.windowSeconds * 1000);
    // A user the IdP writes again (not removing it) is no longer a pending removal.
    const kept = guard.pending.filter((p) => !draft.touchedUsers.has(p.id) || draft.removals.some((r) => r.id === p.id));
    const n = draft.removals.length;
    if (n === 0) {
      if (recent.length !== guard.removals.length || kept.length !== guard.pending.length) draft.setGuard({ removals: recent, pending: kept });
      return undefined;
    }
    const count = recent.length + n;
    const held = mailboxes + recent.length;
    const percent = held === 0 ? 100 : (count / held) * 100;
    if (count <= this.#o.floor || percent <= this.#o.maxDeletePercent) {
      draft.setGuard({ removals: [...recent, ...draft.removals.map(() => now)], pending: kept.filter((p) => !draft.removals.some((r) => r.id === p.id)) });
      return undefined;
    }
    const pending = [...kept];
    for (const r of draft.removals) if (!pending.some((p) => p.id === r.id && p.op === r.op)) pending.push({ ...r, at: now });
    const refused = new ScimDraft(draft.base);
    refused.setGuard({ removals: recent, pending });
    const reason = `${count} removals within ${this.#o.windowSeconds}s would take out ${percent.toFixed(1)}% of ${held} mailboxes (sync.maxDeletePercent ${this.#o.maxDeletePercent}%)`;
    this.#o.logger.error({ code: 'SCIM_DELETION_GUARD', removals: draft.removals, pending: pending.length }, `pushed removal held: ${reason}; run "mailroster sync --confirm-deletions" to apply`);
    const error = new ScimError(503, `removal held by the mass-removal guard: ${reason}. An operator releases it with "mailroster sync --confirm-deletions"`, undefined, { 'retry-after': '3600' });
    return { draft: refused, error };
  }
}

/** What `--confirm-deletions` applies: the pending removals, oldest first. */
export function pendingOf(guard: GuardState): readonly PendingRemoval[] {
  return [...guard.pending].sort((a, b) => a.at - b.at);
}
