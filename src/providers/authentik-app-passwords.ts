import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppPasswordEntry, DirectoryData } from '../directory/directory-data.js';
import { DIGEST_SCHEME } from '../directory/passwords.js';
import type { AuthentikApi, Json } from './authentik-api.js';
import { asObject, idString } from './idp-options.js';
import { ProviderError } from './provider-error.js';

const TOKENS = 'api/v3/core/tokens/';
/** Key reads at once: a first sync of thousands of tokens must not queue them one by one. */
const KEY_READ_CONCURRENCY = 4;

/** The SHA-256 digest of a key in the `{SHA256.HEX}` scheme, which Dovecot verifies natively. */
export function hashAppPasswordKey(key: string): string {
  return DIGEST_SCHEME + createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What one pass found, for the sync summary log (never a key or a hash). */
export interface AppPasswordStats {
  tokens: number;
  keysRead: number;
  reused: number;
  expired: number;
}

/**
 * Authentik app passwords (tokens with intent `app_password`) as mailbox app passwords. Every
 * `view_key` call writes a SECRET_VIEW event into Authentik's log, so a key is read only for a
 * token whose fingerprint (pk, identifier, expiry) is not among those the store already holds:
 * later syncs, and a new leader starting from the shared store, read no key again. A key is
 * hashed the moment it arrives and the response is dropped; only the hash goes further.
 */
export class AuthentikAppPasswords {
  readonly #api: AuthentikApi;
  readonly #logger: Logger | undefined;
  /** User pk -> app passwords of the last pass, for mailboxes the change feed upserts. */
  #byUser = new Map<string, AppPasswordEntry[]>();
  /** Permissions found missing, so each warning is logged once (until it works again). */
  readonly #missing = new Set<'view_token' | 'view_token_key'>();
  #warnedEmpty = false;

  constructor(api: AuthentikApi, logger: Logger | undefined) {
    this.#api = api;
    this.#logger = logger;
  }

  /**
   * Adds app passwords to the enabled mailboxes of `data` (mailbox id = Authentik user pk).
   * `known` is what the store holds: hashes are reused from it by fingerprint. With `readKeys`
   * false, no key is read at all (one-off commands), and only known hashes are used.
   */
  async attach(data: DirectoryData, known: DirectoryData | undefined, readKeys: boolean, signal: AbortSignal): Promise<DirectoryData> {
    const tokens = await this.#list(signal);
    if (tokens === undefined) return (this.#byUser = new Map()), data;
    const reusable = new Map<string, AppPasswordEntry>();
    for (const mb of known?.mailboxes ?? []) for (const a of mb.appPasswords ?? []) if (a.fingerprint) reusable.set(a.fingerprint, a);
    const stats: AppPasswordStats = { tokens: tokens.length, keysRead: 0, reused: 0, expired: 0 };
    const wanted = new Set(data.mailboxes.filter((m) => m.enabled !== false && m.id !== undefined).map((m) => m.id!));
    const now = Date.now();
    const byUser = new Map<string, AppPasswordEntry[]>();
    const toRead: { user: string; token: Token }[] = [];
    for (const t of tokens) {
      if (!wanted.has(t.user)) continue;
      // Authentik deletes expired tokens only now and then; until then the listing still has them.
      if (t.expires !== undefined && Date.parse(t.expires) <= now) {
        stats.expired++;
        continue;
      }
      const prior = reusable.get(t.fingerprint);
      if (prior) {
        stats.reused++;
        push(byUser, t.user, { ...entryOf(t), hash: prior.hash });
      } else if (readKeys) {
        toRead.push({ user: t.user, token: t });
      }
    }
    const pass = { denied: false };
    await forEachLimited(toRead, KEY_READ_CONCURRENCY, async ({ user, token }) => {
      if (pass.denied) return;
      const hash = await this.#readKeyHash(token.identifier, pass, signal);
      if (hash === undefined) return;
      stats.keysRead++;
      push(byUser, user, { ...entryOf(token), hash });
    });
    if (stats.keysRead > 0) this.#works('view_token_key');
    this.#byUser = byUser;
    this.#logger?.info(stats, 'authentik app passwords read');
    return { ...data, mailboxes: data.mailboxes.map((mb) => withAppPasswords(mb, mb.id === undefined ? undefined : byUser.get(mb.id))) };
  }

  /** The app passwords of one user as of the last full pass (the change feed keeps them). */
  forUser(id: string): AppPasswordEntry[] | undefined {
    return this.#byUser.get(id);
  }

  /** Every app_password token, page by page; undefined (after one warning) without permission. */
  async #list(signal: AbortSignal): Promise<Token[] | undefined> {
    const out: Token[] = [];
    try {
      for (let i = 0; ; i++) {
        const page = await this.#api.page(TOKENS, i, { intent: 'app_password', ordering: 'identifier' }, signal);
        for (const raw of page.items) {
          const t = toToken(raw);
          if (t) out.push(t);
        }
        if (!page.more) break;
      }
    } catch (err) {
      if (err instanceof ProviderError && (err.status === 403 || err.status === 401)) {
        this.#warn('view_token', 'the API token\'s user lacks authentik_core.view_token (a role with "Can view Token"): app passwords are off; every other part of the directory syncs as usual');
        return undefined;
      }
      throw err;
    }
    this.#works('view_token');
    // Without view_token Authentik lists only the caller's own tokens, without an error.
    if (out.length === 0 && !this.#warnedEmpty) {
      this.#warnedEmpty = true;
      this.#logger?.warn({ permission: 'view_token' }, 'authentik app passwords: no app_password token is visible; if users have some, the API token\'s user lacks authentik_core.view_token (Authentik then lists only its own tokens)');
    }
    return out;
  }

  /** GET view_key and hash the key at once; undefined when the token vanished or access is denied. */
  async #readKeyHash(identifier: string, pass: { denied: boolean }, signal: AbortSignal): Promise<string | undefined> {
    let body: unknown;
    try {
      body = await this.#api.http.getJson(`${TOKENS}${encodeURIComponent(identifier)}/view_key/`, {}, signal);
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return undefined;
      if (err instanceof ProviderError && (err.status === 403 || err.status === 401)) {
        pass.denied = true;
        this.#warn('view_token_key', 'the API token\'s user lacks authentik_core.view_token_key ("Can view token\'s key"): new app passwords are not read; those already known keep working');
        return undefined;
      }
      // Never pass on the message or cause: an unexpected body could hold the key.
      throw new ProviderError('PROVIDER_BAD_RESPONSE', `authentik: GET /${TOKENS}<identifier>/view_key/ failed (${err instanceof ProviderError ? err.code : 'error'})`);
    }
    const key = asObject(body)?.key;
    if (typeof key !== 'string' || key === '') throw new ProviderError('PROVIDER_BAD_RESPONSE', `authentik: view_key of token ${identifier}: expected {"key": "..."}`);
    return hashAppPasswordKey(key);
  }

  #warn(permission: 'view_token' | 'view_token_key', reason: string): void {
    if (!this.#missing.has(permission)) this.#logger?.warn({ permission, reason }, 'authentik app passwords: permission missing');
    this.#missing.add(permission);
  }

  #works(permission: 'view_token' | 'view_token_key'): void {
    if (this.#missing.delete(permission)) this.#logger?.info({ permission }, 'authentik app passwords: permission present again');
  }
}

/** The fields of an Authentik token that matter here (the listing never carries the key). */
interface Token {
  readonly identifier: string;
  readonly user: string;
  readonly expires?: string;
  readonly fingerprint: string;
}

function toToken(raw: Json): Token | undefined {
  const user = idString(raw.user) ?? idString(asObject(raw.user_obj)?.pk);
  if (typeof raw.identifier !== 'string' || user === undefined || (raw.intent !== undefined && raw.intent !== 'app_password')) return undefined;
  // `expires` only counts while `expiring` is on (tokens made with "Expiring" unticked keep a date).
  const expires = raw.expiring !== false && typeof raw.expires === 'string' && !Number.isNaN(Date.parse(raw.expires)) ? new Date(raw.expires).toISOString() : undefined;
  return { identifier: raw.identifier, user, ...(expires && { expires }), fingerprint: `${idString(raw.pk) ?? ''}/${raw.identifier}/${expires ?? 'never'}` };
}

function entryOf(t: Token): Omit<AppPasswordEntry, 'hash'> {
  return { id: t.identifier, ...(t.expires && { expires: t.expires }), fingerprint: t.fingerprint };
}

function push(map: Map<string, AppPasswordEntry[]>, user: string, entry: AppPasswordEntry): void {
  (map.get(user) ?? map.set(user, []).get(user)!).push(entry);
}

/** A mailbox with exactly these app passwords (sorted, so syncs compare equal), or none. */
export function withAppPasswords<M extends { appPasswords?: AppPasswordEntry[] }>(mb: M, apps: AppPasswordEntry[] | undefined): M {
  const { appPasswords: _dropped, ...rest } = mb;
  if (!apps || apps.length === 0) return rest as M;
  return { ...rest, appPasswords: [...apps].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) } as M;
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
