import { SCAN_STEP, type Steps } from '../directory/build-steps.js';
import type { Directory, Mailbox } from '../directory/directory.js';
import type { IndexedAppPassword } from '../directory/directory-indexes.js';
import { activeAppPasswords } from './sign-in.js';
import type { AddressResolver } from '../directory/resolve.js';
import type { LookupResult } from './lookup-result.js';

/**
 * The userdb and passdb decisions, shared by the Dovecot 2.3 dict server and the Dovecot 2.4 HTTP
 * endpoint: both answer the same question from the same snapshot, only the wire form differs.
 */

/** What the passdb knows about a login: whom it names and which hashes may verify its password. */
export interface PassdbCandidate {
  /** The canonical mailbox address (Dovecot's `user` after the login). */
  readonly user: string;
  /** True when the login was not the canonical address (an alias, another case or IDN form). */
  readonly renamed: boolean;
  /**
   * Hashes, each with its `{SCHEME}` prefix, any of which may verify the password; empty means no
   * password can match: the active app passwords first, then the mailbox's own hashes.
   */
  readonly hashes: readonly string[];
  /** The app passwords among them (not expired at the time of the decision). */
  readonly appPasswords: readonly IndexedAppPassword[];
  /** The mailbox's own hashes among them (passwordHashes). */
  readonly passwordHashes: readonly string[];
  /** A disabled mailbox: the password may still be checked, the login must be refused. */
  readonly disabled: boolean;
}

/** The passdb decision: a candidate to verify, or "no such login" (a passdb chain may go on). */
export type PassdbDecision =
  | { readonly kind: 'found'; readonly value: PassdbCandidate }
  | { readonly kind: 'not-found' };

/**
 * THE passdb rule, for every Dovecot version. A login may be the address or any alias, in any case
 * or IDN form. Every app password not expired at `now` (ms) and every hash of the mailbox signs
 * in. A disabled mailbox is found (so its refusal can be told apart from a typo), with whatever
 * hashes it has; an enabled mailbox without any is not found, so a passdb chain can go on to
 * another passdb (oauth2, ldap).
 */
export function decidePassdb(dir: Directory, login: string, now: number = Date.now()): PassdbDecision {
  const mb = dir.mailboxForLogin(login);
  if (!mb) return NOT_FOUND_DECISION;
  const appPasswords = activeAppPasswords(mb, now);
  const hashes = [...appPasswords.map((a) => a.hash), ...mb.passwordHashes];
  if (mb.enabled && hashes.length === 0) return NOT_FOUND_DECISION;
  return { kind: 'found', value: { user: mb.address, renamed: mb.address !== login, hashes, appPasswords, passwordHashes: mb.passwordHashes, disabled: !mb.enabled } };
}

/** The account behind a login, whatever its passwords: for logins a token proves (OAuth2). */
export function decideAccount(dir: Directory, login: string): { readonly kind: 'found'; readonly value: { user: string; renamed: boolean; disabled: boolean } } | { readonly kind: 'not-found' } {
  const mb = dir.mailboxForLogin(login);
  if (!mb) return NOT_FOUND_DECISION;
  return { kind: 'found', value: { user: mb.address, renamed: mb.address !== login, disabled: !mb.enabled } };
}

const NOT_FOUND_DECISION = Object.freeze({ kind: 'not-found' } as const);

/** The userdb decision: the mailbox that receives for a name, or why there is none. */
export type UserdbDecision =
  | { readonly kind: 'found'; readonly value: Mailbox }
  | Extract<LookupResult, { kind: 'not-found' | 'unavailable' }>;

/**
 * THE userdb rule: the mailbox that receives for `name` (`user+ext@`, case and IDN forms, aliases
 * as the resolver has them; disabled mailboxes do not exist for delivery unless acceptDisabled).
 */
export function decideUserdb(resolver: AddressResolver, name: string): UserdbDecision {
  const mb = resolver.mailbox(name);
  if (!mb) return NOT_FOUND_DECISION;
  if (unsafeForPaths(mb)) return { kind: 'unavailable', reason: `address ${mb.address} cannot be used in a path` };
  return { kind: 'found', value: mb };
}

/**
 * Refs of the mailboxes a user iteration lists, in address order: exactly those a userdb lookup
 * finds. Works on refs and addresses only: no mailbox object is decoded for one it skips.
 */
export function* listedMailboxRefs(dir: Directory, resolver: AddressResolver): Generator<number> {
  for (const ref of dir.sortedMailboxRefs()) if (listed(dir, resolver, ref, dir.mailboxAddress(ref))) yield ref;
}

/**
 * The addresses {@link listedMailboxRefs} names, all at once, in steps (build-steps.ts): the 2.4
 * endpoint answers a user iteration in one reply, a million addresses and their sort.
 */
export function* listedAddressSteps(dir: Directory, resolver: AddressResolver): Steps<string[]> {
  const refs = yield* dir.sortedMailboxRefSteps();
  const out: string[] = [];
  for (let i = 0; i < refs.length; i++) {
    const address = dir.mailboxAddress(refs[i]!);
    if (listed(dir, resolver, refs[i]!, address)) out.push(address);
    if (i % SCAN_STEP === SCAN_STEP - 1) yield;
  }
  return out;
}

/** True when a user iteration lists mailbox `ref` (at `address`): a userdb lookup finds it there. */
function listed(dir: Directory, resolver: AddressResolver, ref: number, address: string): boolean {
  return resolver.mailboxRef(address) === ref && !unsafeLocal(address.slice(0, address.lastIndexOf('@')));
}

/** The mailboxes {@link listedMailboxRefs} names, decoded one at a time. */
export function* listedMailboxes(dir: Directory, resolver: AddressResolver): Generator<Mailbox> {
  for (const ref of listedMailboxRefs(dir, resolver)) yield dir.mailboxAt(ref);
}

/** A local part like `..` or `a/b` would turn `/var/mail/%d/%n` into a path outside the domain. */
function unsafeForPaths(mb: Mailbox): boolean {
  return unsafeLocal(mb.local);
}

function unsafeLocal(local: string): boolean {
  return local === '.' || local === '..' || local.includes('/');
}
