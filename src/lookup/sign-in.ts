import { timingSafeEqual } from 'node:crypto';
import type { IndexedAppPassword, Mailbox } from '../directory/directory-indexes.js';

/**
 * Which app passwords count and how a 2.3 lookup picks one, for auth-rules.ts. Only hashes are
 * ever held; an app password counts until the moment its `expires` passes, checked at lookup time
 * rather than at the next sync.
 */

/** App passwords of `mb` that have not expired at `now` (ms). */
export function activeAppPasswords(mb: Mailbox, now: number): IndexedAppPassword[] {
  return mb.appPasswords.filter((a) => a.expiresAt > now);
}

/**
 * The app password among `active` whose SHA-256 digest is `digest` (what Dovecot 2.3 computed
 * from the client's password with `%{sha256:password}`). Every candidate is compared in constant
 * time and the loop never stops early, so the reply time says nothing about how close a guess came.
 */
export function matchDigest(active: readonly IndexedAppPassword[], digest: Buffer): IndexedAppPassword | undefined {
  let found: IndexedAppPassword | undefined;
  for (const a of active) {
    if (a.digest === undefined || a.digest.length !== digest.length) continue;
    if (timingSafeEqual(a.digest, digest) && found === undefined) found = a;
  }
  return found;
}

/**
 * Hashes Dovecot 2.3 must verify itself, one per passdb slot: app passwords not stored as a
 * digest (a directory file may give `{BLF-CRYPT}` ones), then the mailbox's own hashes.
 */
export function slotHashes(c: { readonly appPasswords: readonly IndexedAppPassword[]; readonly passwordHashes: readonly string[] }): string[] {
  return [...c.appPasswords.filter((a) => a.digest === undefined).map((a) => a.hash), ...c.passwordHashes];
}
