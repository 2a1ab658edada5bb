import type { HttpClient } from './http-client.js';
import { asObject } from './idp-options.js';
import { KeycloakEventStream, type StreamCursor } from './keycloak-event-stream.js';
import { ProviderError } from './provider-error.js';
import type { ProviderFeatures } from './provider-status.js';

/**
 * User events that change what mailroster serves but make no admin event: a user changing her
 * e-mail or profile in the account console, verifying her e-mail, registering, logging in through
 * an identity provider for the first time (which creates her), linking one, deleting herself.
 */
export const USER_EVENT_TYPES = ['REGISTER', 'UPDATE_EMAIL', 'UPDATE_PROFILE', 'VERIFY_EMAIL', 'IDENTITY_PROVIDER_FIRST_LOGIN', 'FEDERATED_IDENTITY_LINK', 'DELETE_ACCOUNT'];

/** Both streams' positions; `t`/`seen` are the admin events' (the shape older versions stored). */
interface EventsCursor extends StreamCursor {
  readonly u?: StreamCursor;
}

const ADMIN = 'adminEvents';
const USER = 'userEvents';

/**
 * Polls Keycloak admin events (users created, updated, deleted or moved between groups) and user
 * events (USER_EVENT_TYPES) for the users to re-read. Each is optional: a realm that does not
 * save them, a service account without `view-events` or a probe that fails turns that feed off
 * (logged once, shown in `/status`) and the full sync does the work; it is probed again later.
 */
export class KeycloakEvents {
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #features: ProviderFeatures;
  readonly #admin: KeycloakEventStream;
  readonly #user: KeycloakEventStream;

  constructor(http: HttpClient, realmBase: string, pageSize: number, features: ProviderFeatures) {
    this.#http = http;
    this.#base = realmBase;
    this.#features = features;
    this.#admin = new KeycloakEventStream(http, {
      path: `${realmBase}/admin-events`, query: { resourceTypes: ['USER', 'GROUP_MEMBERSHIP'] },
      userOf: (e) => { const m = /^users\/([^/]+)/.exec(String(e.resourcePath ?? '')); return m ? decodeURIComponent(m[1]!) : undefined; },
    }, pageSize);
    this.#user = new KeycloakEventStream(http, {
      path: `${realmBase}/events`, query: { type: USER_EVENT_TYPES },
      userOf: (e) => (typeof e.userId === 'string' && e.userId !== '' ? e.userId : undefined),
    }, pageSize);
  }

  /** The first cursor: now, as the newest recorded event of each kind says (server clock). */
  async start(signal: AbortSignal): Promise<string> {
    await this.#probe(signal);
    const admin = this.#features.enabled(ADMIN) ? await this.#guard(ADMIN, () => this.#admin.start(signal), true) : undefined;
    const user = this.#features.enabled(USER) ? await this.#guard(USER, () => this.#user.start(signal), true) : undefined;
    // A stream without events starts at the other one's newest time (the server's clock), else local time.
    const anchor = { t: admin?.t ?? user?.t ?? Date.now(), seen: [] };
    return encode({ ...(admin ?? anchor), u: user ?? anchor });
  }

  /** Ids of users touched since `raw`, and the next cursor. */
  async poll(raw: string, signal: AbortSignal): Promise<{ userIds: string[]; cursor: string }> {
    const cursor = decode(raw);
    if (this.#features.enabled(ADMIN) !== true || this.#features.enabled(USER) !== true) await this.#probe(signal);
    const users = new Set<string>();
    let admin: StreamCursor = cursor;
    let user: StreamCursor = cursor.u ?? cursor;
    if (this.#features.enabled(ADMIN)) {
      const r = await this.#guard(ADMIN, () => this.#admin.poll(cursor, signal));
      if (r) { admin = r.cursor; for (const id of r.userIds) users.add(id); }
    }
    if (this.#features.enabled(USER)) {
      const r = await this.#guard(USER, () => this.#user.poll(cursor.u ?? cursor, signal));
      if (r) { user = r.cursor; for (const id of r.userIds) users.add(id); }
    }
    return { userIds: [...users], cursor: encode({ ...admin, u: user }) };
  }

  /** Reads the realm's event settings; without them both feeds stay off until the next probe. */
  async #probe(signal: AbortSignal): Promise<void> {
    let config: Record<string, unknown> | undefined;
    try {
      config = asObject(await this.#http.getJson(`${this.#base}/events/config`, {}, signal));
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const why = err.code === 'PROVIDER_AUTH' ? 'the service account lacks view-events' : `reading the event settings failed (${err.message})`;
      for (const f of [ADMIN, USER]) this.#features.off(f, `${why}; changes arrive with the full sync only`);
      return;
    }
    if (config?.adminEventsEnabled === true) this.#features.on(ADMIN);
    else this.#features.off(ADMIN, 'the realm does not save admin events (Realm settings, Events, Admin events settings: Save events); admin changes arrive with the full sync');
    const types = Array.isArray(config?.enabledEventTypes) ? config.enabledEventTypes.map(String) : [];
    const missing = types.length === 0 ? [] : USER_EVENT_TYPES.filter((t) => !types.includes(t));
    if (config?.eventsEnabled !== true) this.#features.off(USER, 'the realm does not save user events (Realm settings, Events, User events settings: Save events); self-service changes, registrations and first logins through an identity provider arrive with the full sync');
    else this.#features.on(USER, missing.length === 0 ? undefined : `saved event types leave out ${missing.join(', ')}: those changes arrive with the full sync`);
  }

  /**
   * Runs one feed's request. A refusal turns that feed off; another failure is passed on (the
   * engine logs it, the next poll retries), except at start (`always`), which the full sync
   * waits for: there any failure only turns the feed off until the next probe.
   */
  async #guard<T>(feature: string, run: () => Promise<T>, always = false): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof ProviderError) || (err.code !== 'PROVIDER_AUTH' && !always)) throw err;
      this.#features.off(feature, err.code === 'PROVIDER_AUTH' ? 'the service account lacks view-events; changes arrive with the full sync only' : `reading events failed (${err.message}); retried at the next poll`);
      return undefined;
    }
  }
}

function encode(c: EventsCursor): string {
  return JSON.stringify(c);
}

function decode(raw: string): EventsCursor {
  try {
    const c = asObject(JSON.parse(raw));
    const u = asObject(c?.u);
    if (c && typeof c.t === 'number' && Array.isArray(c.seen)) {
      return { t: c.t, seen: c.seen.map(String), ...(u && typeof u.t === 'number' && Array.isArray(u.seen) && { u: { t: u.t, seen: u.seen.map(String) } }) };
    }
  } catch { /* reported below */ }
  throw new ProviderError('PROVIDER_CONFIG', `keycloak: change cursor ${JSON.stringify(raw.slice(0, 60))} is not one this provider wrote`);
}
