import { DictIterateFlag } from '../../protocol/dict.js';
import type { Directory, Mailbox } from '../directory/directory.js';
import type { AddressResolver } from '../directory/resolve.js';
import type { DirectorySource } from '../store/directory-source.js';
import type { ResolverCache } from './resolver-cache.js';
import { decideAccount, decidePassdb, decideUserdb, listedMailboxes } from './auth-rules.js';
import { matchDigest, slotHashes } from './sign-in.js';
import { UserdbFieldBuilder, type UserdbTemplates } from './userdb-fields.js';
import { NOT_FOUND, type LookupResult } from './lookup-result.js';

/** Key space of the userdb: Dovecot's dict userdb looks up `shared/` + `userdb/%u`. */
export const USERDB_PREFIX = 'shared/userdb/';
/** Key space of the passdb: `shared/` + `passdb/%u`. */
export const PASSDB_PREFIX = 'shared/passdb/';
/** What every COMMIT is answered: nothing in mailroster is written through Dovecot. */
export const READ_ONLY_REASON = 'mailroster is read-only; dict writes are not supported';

/** userdb templates (see schema-dict.ts) and the passdb refusal text. */
export interface DictValueOptions {
  readonly userdb: UserdbTemplates;
  readonly passdb: { readonly disabledMode: string; readonly disabledReason: string };
}

/** One ITERATE command, as far as the lookup side cares. */
export interface DictIterateRequest {
  readonly flags: number;
  /** 0 = unlimited. */
  readonly maxRows: number;
  readonly paths: readonly string[];
}

/** One iteration row; `value` is '' with NO_VALUE. */
export type DictRow = readonly [key: string, value: string];

/** Yielded among the rows while the next ones are still being made (a sort): continue on a later turn. */
export const ROWS_PENDING: unique symbol = Symbol('rows pending');

/** Rows to stream, or why there are none: never "not found", an iteration is simply empty. */
export type DictIteration =
  | { readonly kind: 'rows'; readonly rows: Iterable<DictRow | typeof ROWS_PENDING> }
  | Extract<LookupResult, { kind: 'unavailable' | 'unknown-map' }>;

/** Found dict answers kept per snapshot. */
const MEMO_ENTRIES = 50_000;

/**
 * Answers Dovecot's dict passdb/userdb from the current snapshot: the same address rules as the
 * socketmap side (case, IDN, `user+ext@`, aliases), and "not found" only from a loaded directory.
 * The decisions are auth-rules.ts's; this class only writes them as 2.3's JSON values.
 */
export class DictLookup {
  readonly #source: DirectorySource;
  readonly #resolvers: ResolverCache;
  readonly #o: DictValueOptions;
  readonly #userdbFields: UserdbFieldBuilder;
  readonly #now: () => number;
  /** Found userdb answers of the current snapshot by key, so a value's JSON is made once, not per lookup. */
  readonly #memo = new Map<string, LookupResult>();
  #memoOf: Directory | undefined;

  /** `now` is the clock app-password expiry is checked against. */
  constructor(source: DirectorySource, resolvers: ResolverCache, options: DictValueOptions, now: () => number = Date.now) {
    this.#source = source;
    this.#now = now;
    this.#resolvers = resolvers;
    this.#o = options;
    this.#userdbFields = new UserdbFieldBuilder(options.userdb, '2.3');
  }

  /** LOOKUP of one key. */
  lookup(key: string): LookupResult {
    const space = keySpace(key);
    if (space.kind !== 'ok') return space;
    const dir = this.#source.current();
    const resolver = this.#resolvers.resolver();
    if (!dir || !resolver) return { kind: 'unavailable', reason: this.#resolvers.unavailableReason() };
    if (dir !== this.#memoOf) {
      this.#memo.clear();
      this.#memoOf = dir;
    }
    const known = this.#memo.get(key);
    if (known) return known;
    const name = key.slice(space.prefix.length);
    const result = space.prefix === USERDB_PREFIX ? this.#userdb(resolver, name) : this.#passdb(dir, name);
    // Only userdb values: a passdb answer depends on the clock too (app passwords expire).
    if (result.kind === 'found' && space.prefix === USERDB_PREFIX) {
      // Bounded: a flood of distinct keys costs one refill, never unbounded memory.
      if (this.#memo.size >= MEMO_ENTRIES) this.#memo.clear();
      this.#memo.set(key, result);
    }
    return result;
  }

  /** ITERATE over one or more paths; only userdb keys are ever listed (no bulk password dump). */
  iterate(request: DictIterateRequest): DictIteration {
    for (const path of request.paths) {
      const space = keySpace(path, true);
      if (space.kind !== 'ok') return space;
    }
    const dir = this.#source.current();
    const resolver = this.#resolvers.resolver();
    if (!dir || !resolver) return { kind: 'unavailable', reason: this.#resolvers.unavailableReason() };
    if (request.flags & DictIterateFlag.ExactKey) {
      for (const path of request.paths) {
        const r = this.lookup(path);
        if (r.kind === 'unavailable' || r.kind === 'unknown-map') return r;
      }
    }
    return { kind: 'rows', rows: this.#rows(dir, resolver, request) };
  }

  /** Lazily built rows: thousands of mailboxes are streamed, never joined into one string. */
  *#rows(dir: Directory, resolver: AddressResolver, request: DictIterateRequest): Generator<DictRow | typeof ROWS_PENDING> {
    const noValue = (request.flags & DictIterateFlag.NoValue) !== 0;
    const recurse = (request.flags & DictIterateFlag.Recurse) !== 0;
    let left = request.maxRows === 0 ? Infinity : request.maxRows;
    for (const path of request.paths) {
      if (request.flags & DictIterateFlag.ExactKey) {
        const r = this.lookup(path);
        if (r.kind === 'found' && left-- > 0) yield [path, noValue ? '' : r.value];
        continue;
      }
      // Only keys under shared/userdb/ exist for iteration; skip paths that cannot match any.
      if (!USERDB_PREFIX.startsWith(path) && !path.startsWith(USERDB_PREFIX)) continue;
      // Sorted a step at a time on the first iteration of a snapshot (half a second at a million).
      const sorting = dir.sortedMailboxRefSteps();
      while (!sorting.next().done) yield ROWS_PENDING;
      // The same mailboxes a userdb lookup finds: disabled ones do not exist for delivery.
      for (const mb of listedMailboxes(dir, resolver)) {
        if (left <= 0) return;
        const key = USERDB_PREFIX + mb.address;
        // Without RECURSE only direct children of the path, as Dovecot's own dicts do.
        if (!key.startsWith(path) || (!recurse && key.includes('/', path.length))) continue;
        left--;
        yield [key, noValue ? '' : this.#userdbValue(mb, mb.address)];
      }
    }
  }

  // Lshared/userdb/<user>: the mailbox that receives for <user>, `user+ext@` included.
  #userdb(resolver: AddressResolver, name: string): LookupResult {
    const d = decideUserdb(resolver, name);
    return d.kind === 'found' ? { kind: 'found', value: this.#userdbValue(d.value, name) } : d;
  }

  // Lshared/passdb/<login>[/<digest>|/hash<N>|/oauth2]: decidePassdb's answer in 2.3's terms.
  #passdb(dir: Directory, rest: string): LookupResult {
    const { login, digest, slot, oauth2 } = parsePassdbKey(rest);
    // The account check before Dovecot's oauth2 passdb: the token is Dovecot's to verify, the
    // account mailroster's. `noauthenticate` passes the login on without authenticating it.
    if (oauth2) {
      const a = decideAccount(dir, login);
      if (a.kind === 'not-found') return NOT_FOUND;
      return found(a.value.disabled ? { fail: 'Y' } : { ...(a.value.renamed && { user: a.value.user }), noauthenticate: 'Y' });
    }
    const d = decidePassdb(dir, login, this.#now());
    if (d.kind === 'not-found') return NOT_FOUND;
    const c = d.value;
    const fields: Record<string, string> = {};
    if (c.renamed) fields.user = c.user;
    // One password per lookup: the app password the digest names (Dovecot still verifies it),
    // else the hash of this slot; a further passdb block asks for the next slot.
    const app = slot === 1 && digest ? matchDigest(c.appPasswords, digest) : undefined;
    const hash = app?.hash ?? slotHashes(c)[slot - 1];
    if (c.disabled) {
      // fail: every client is refused (Postfix SASL included) whatever the password; every slot
      // says so, as Dovecot goes on to the next passdb block after a failure.
      if (this.#o.passdb.disabledMode !== 'nologin') return found({ ...fields, fail: 'Y' });
      // nologin: the password is still checked (a wrong one fails as usual, and the reason is only
      // shown to someone who knows it); login processes then refuse with the reason. Never
      // `nopassword` here: Postfix SASL ignores nologin and would accept any password.
      return hash === undefined ? NOT_FOUND : found({ password: hash, ...fields, nologin: 'Y', reason: this.#o.passdb.disabledReason });
    }
    // Nothing for this slot: not found, so the passdb chain goes on (next slot, oauth2, ldap).
    return hash === undefined ? NOT_FOUND : found({ password: hash, ...fields });
  }

  #userdbValue(mb: Mailbox, name: string): string {
    return JSON.stringify(Object.fromEntries(this.#userdbFields.fields(mb, name)));
  }
}

/** Dovecot's dict passdb/userdb need a flat JSON object of strings: never nested, never arrays. */
function found(fields: Record<string, string>): LookupResult {
  return { kind: 'found', value: JSON.stringify(fields) };
}

/** A dict key as it may be logged: a passdb key's password digest is cut off. */
export function loggableDictKey(key: string): string {
  if (!key.startsWith(PASSDB_PREFIX)) return key;
  return parsePassdbKey(key.slice(PASSDB_PREFIX.length)).digest ? `${key.slice(0, -64)}<sha256>` : key;
}

/** A passdb key after `shared/passdb/`: the login, and which password the lookup is about. */
interface PassdbKey {
  readonly login: string;
  /** SHA-256 of the client's password (`/%{sha256:password}`, 64 hex digits), when sent. */
  readonly digest?: Buffer;
  /** Which of the hashes Dovecot should verify (`/hash<N>`, one passdb block each); 1 by default. */
  readonly slot: number;
  /** `/oauth2`: the account check of a bearer-token login (no password involved). */
  readonly oauth2?: boolean;
}

/**
 * Splits `<login>`, `<login>/<64 hex>`, `<login>/hash<N>` or `<login>/oauth2`. A login is an
 * address, whose domain never holds `/`, so a suffix is never mistaken for part of it.
 */
export function parsePassdbKey(rest: string): PassdbKey {
  const slash = rest.lastIndexOf('/');
  if (slash > 0) {
    const tail = rest.slice(slash + 1);
    const login = rest.slice(0, slash);
    if (/^[0-9a-f]{64}$/.test(tail)) return { login, digest: Buffer.from(tail, 'hex'), slot: 1 };
    const n = /^hash([1-9][0-9]?)$/.exec(tail);
    if (n) return { login, slot: Number(n[1]) };
    if (tail === 'oauth2') return { login, slot: 1, oauth2: true };
  }
  return { login: rest, slot: 1 };
}

type KeySpace = { kind: 'ok'; prefix: string } | Extract<LookupResult, { kind: 'unknown-map' }>;

/**
 * Which of our key spaces a key (or an iteration path) is in. Anything else answers F, not N: a
 * typo in the args file (`key = users/%u`) must defer mail, not make every user unknown.
 */
function keySpace(key: string, isPath = false): KeySpace {
  if (key.startsWith(USERDB_PREFIX)) return { kind: 'ok', prefix: USERDB_PREFIX };
  if (key.startsWith(PASSDB_PREFIX)) return { kind: 'ok', prefix: PASSDB_PREFIX };
  // An iteration of a parent such as `shared/` is fine: it lists what lies below.
  if (isPath && key.startsWith('shared/')) return { kind: 'ok', prefix: 'shared/' };
  const shown = key.length > 60 ? `${key.slice(0, 60)}...` : key;
  return { kind: 'unknown-map', reason: `mailroster holds only shared/userdb/<user> and shared/passdb/<user>, not ${shown}` };
}
