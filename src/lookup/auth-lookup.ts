import type { AuthRequest } from '../../protocol/auth-request.js';
import type { DirectorySource } from '../store/directory-source.js';
import { runSteps, type Steps } from '../directory/build-steps.js';
import { decidePassdb, decideUserdb, listedAddressSteps, type PassdbCandidate } from './auth-rules.js';
import type { ResolverCache } from './resolver-cache.js';
import { UserdbFieldBuilder, type UserdbField, type UserdbTemplates } from './userdb-fields.js';

/** The outcome of one auth endpoint request, before it becomes an HTTP reply (servers/replies.ts). */
export type AuthAnswer =
  | { readonly kind: 'passdb'; readonly candidate: PassdbCandidate; readonly disabledReason: string }
  | { readonly kind: 'userdb'; readonly fields: readonly UserdbField[] }
  | { readonly kind: 'users'; readonly users: readonly string[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** userdb templates and the passdb refusal text (config `dict.userdb`, `dict.passdb`). */
export interface AuthLookupOptions {
  readonly userdb: UserdbTemplates;
  readonly passdb: { readonly disabledReason: string };
}

const NOT_FOUND: AuthAnswer = Object.freeze({ kind: 'not-found' });

/**
 * Answers Dovecot 2.4's Lua bridge from the current snapshot, by the same rules as the dict
 * server (auth-rules.ts), with 2.4's userdb field names. "Not found" only from a loaded directory.
 */
export class AuthLookup {
  readonly #source: DirectorySource;
  readonly #resolvers: ResolverCache;
  readonly #userdbFields: UserdbFieldBuilder;
  readonly #disabledReason: string;
  readonly #now: () => number;

  /** Throws ConfigError when a userdb template has no 2.4 form. `now`: the clock app-password expiry is checked against. */
  constructor(source: DirectorySource, resolvers: ResolverCache, options: AuthLookupOptions, now: () => number = Date.now) {
    this.#source = source;
    this.#now = now;
    this.#resolvers = resolvers;
    this.#userdbFields = new UserdbFieldBuilder(options.userdb, '2.4');
    this.#disabledReason = options.passdb.disabledReason;
  }

  /** The answer to a user iteration (`/v1/users`) as steps: the server runs it in slices. */
  *usersSteps(): Steps<AuthAnswer> {
    const dir = this.#source.current();
    const resolver = this.#resolvers.resolver();
    if (!dir || !resolver) return { kind: 'unavailable', reason: this.#resolvers.unavailableReason() };
    return { kind: 'users', users: yield* listedAddressSteps(dir, resolver) };
  }

  /** Answers one parsed request. */
  answer(request: AuthRequest): AuthAnswer {
    const dir = this.#source.current();
    const resolver = this.#resolvers.resolver();
    if (!dir || !resolver) return { kind: 'unavailable', reason: this.#resolvers.unavailableReason() };
    if (request.kind === 'users') return runSteps(this.usersSteps());
    // A name that is not UTF-8 cannot be in any directory.
    if (!request.utf8) return NOT_FOUND;
    if (request.kind === 'passdb') {
      const d = decidePassdb(dir, request.name, this.#now());
      return d.kind === 'found' ? { kind: 'passdb', candidate: d.value, disabledReason: this.#disabledReason } : NOT_FOUND;
    }
    const d = decideUserdb(resolver, request.name);
    if (d.kind !== 'found') return d;
    // Always name the canonical user: Dovecot then uses it, whatever case or +ext was asked.
    const fields = this.#userdbFields.fields(d.value, request.name);
    return { kind: 'userdb', fields: fields[0]?.[0] === 'user' ? fields : [['user', d.value.address], ...fields] };
  }
}
