import type { Logger } from 'pino';
import type { HttpClient } from './http-client.js';
import { asObject } from './idp-options.js';
import { collectSimple } from './paging.js';
import { ProviderError } from './provider-error.js';
import { keycloakPager } from './keycloak-groups.js';

/** Where admin-event polling stands: the newest event time seen and the events seen at that ms. */
interface EventCursor {
  readonly t: number;
  readonly seen: readonly string[];
}

/**
 * Polls Keycloak admin events (`/admin-events?dateFrom=`) for users created, updated, deleted or
 * moved between groups. `dateFrom` is inclusive, so events at the cursor's millisecond are
 * remembered and skipped. When the realm does not record admin events, or the service account
 * lacks `view-events`, polling quietly yields nothing and the full sync does all the work.
 */
export class KeycloakEvents {
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #pageSize: number;
  readonly #logger: Logger | undefined;
  #available: boolean | undefined;
  /** Set when this Keycloak refused epoch-ms `dateFrom` (older versions take only yyyy-MM-dd). */
  #dayDates = false;

  constructor(http: HttpClient, realmBase: string, pageSize: number, logger?: Logger) {
    this.#http = http;
    this.#base = realmBase;
    this.#pageSize = pageSize;
    this.#logger = logger;
  }

  /** The first cursor: now, as the newest recorded admin event says (server clock), else local time. */
  async start(signal: AbortSignal): Promise<string> {
    this.#available = await this.#check(signal);
    if (!this.#available) return encode({ t: Date.now(), seen: [] });
    const newest = (await keycloakPager(this.#http, `${this.#base}/admin-events`, {}, 1)(0, signal)).items[0];
    // dateFrom is inclusive: the newest event is already reflected, so it starts as seen.
    if (typeof newest?.time !== 'number') return encode({ t: Date.now(), seen: [] });
    return encode({ t: newest.time, seen: [eventKey(newest)] });
  }

  /** Ids of users touched since `cursor`, and the next cursor. */
  async poll(raw: string, signal: AbortSignal): Promise<{ userIds: string[]; cursor: string }> {
    const cursor = decode(raw);
    if (this.#available === undefined) this.#available = await this.#check(signal);
    if (!this.#available) return { userIds: [], cursor: raw };
    const events = await this.#since(cursor.t, signal);
    if (events === undefined) return { userIds: [], cursor: raw };
    const seen = new Set(cursor.seen);
    let t = cursor.t;
    let atT = new Set(cursor.seen);
    const users = new Set<string>();
    // Keycloak lists newest first unless told otherwise (direction=asc is recent); order here.
    for (const e of events.sort((a, b) => Number(a.time) - Number(b.time))) {
      const time = Number(e.time);
      const key = eventKey(e);
      if (!(time >= cursor.t) || (time === cursor.t && seen.has(key))) continue;
      const user = /^users\/([^/]+)/.exec(String(e.resourcePath ?? ''))?.[1];
      if (user) users.add(decodeURIComponent(user));
      if (time > t) { t = time; atT = new Set(); }
      atT.add(key);
    }
    return { userIds: [...users], cursor: encode({ t, seen: [...atT] }) };
  }

  /**
   * Admin events from `t` on (inclusive), or undefined once reading them is forbidden. Keycloak
   * versions that only take `yyyy-MM-dd` answer 400 to epoch ms: then whole days are asked for
   * and the caller's filter on `time` drops what came before `t`.
   */
  async #since(t: number, signal: AbortSignal): Promise<Record<string, unknown>[] | undefined> {
    const dateFrom = this.#dayDates ? new Date(t).toISOString().slice(0, 10) : String(t);
    const page = keycloakPager(this.#http, `${this.#base}/admin-events`, { dateFrom, resourceTypes: ['USER', 'GROUP_MEMBERSHIP'] }, this.#pageSize);
    try {
      return await collectSimple((i) => page(i, signal));
    } catch (err) {
      if (err instanceof ProviderError && err.status === 400 && !this.#dayDates) {
        this.#dayDates = true;
        return this.#since(t, signal);
      }
      if (!(err instanceof ProviderError) || err.code !== 'PROVIDER_AUTH') throw err;
      this.#available = false;
      this.#logger?.info('keycloak admin events are not readable (service account lacks view-events); changes arrive with the full sync only');
      return undefined;
    }
  }

  /** Whether the realm records admin events and we may read them. */
  async #check(signal: AbortSignal): Promise<boolean> {
    try {
      const config = asObject(await this.#http.getJson(`${this.#base}/events/config`, {}, signal));
      const on = config?.adminEventsEnabled === true;
      if (!on) this.#logger?.info('keycloak admin events are off for this realm; changes arrive with the full sync only');
      return on;
    } catch (err) {
      if (!(err instanceof ProviderError) || err.code !== 'PROVIDER_AUTH') throw err;
      this.#logger?.info('keycloak admin events are not readable (service account lacks view-events); changes arrive with the full sync only');
      return false;
    }
  }
}

/** Newer Keycloak gives events an id; older ones are told apart by what they did. */
function eventKey(e: Record<string, unknown>): string {
  return typeof e.id === 'string' ? e.id : `${e.time}:${e.operationType}:${e.resourcePath}`;
}

function encode(c: EventCursor): string {
  return JSON.stringify(c);
}

function decode(raw: string): EventCursor {
  try {
    const c = asObject(JSON.parse(raw));
    if (c && typeof c.t === 'number' && Array.isArray(c.seen)) return { t: c.t, seen: c.seen.map(String) };
  } catch { /* reported below */ }
  throw new ProviderError('PROVIDER_CONFIG', `keycloak: change cursor ${JSON.stringify(raw.slice(0, 60))} is not one this provider wrote`);
}
