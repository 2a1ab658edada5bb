import { AuthentikApi, USERS, type Json } from './authentik-api.js';
import { asObject, idString } from './idp-options.js';
import { ProviderError } from './provider-error.js';
import type { ProviderFeatures } from './provider-status.js';

/**
 * Users re-read from this far behind the newest `last_updated` seen: a user saved in a
 * transaction that commits after the poll carries a timestamp older than the cursor.
 */
export const OVERLAP_MS = 5000;
/** Requests one poll may make (100 users each) before it stops and continues next time. */
const MAX_REQUESTS = 1000;

/** Where polling stands: the newest `last_updated` seen, and `pk@last_updated` of users seen within the overlap. */
interface FeedCursor {
  readonly t: string;
  readonly seen: readonly string[];
}

const FEATURE = 'changeFeed';

/**
 * Authentik's change feed: users with `last_updated__gt` the cursor, `ordering=last_updated`.
 * Both exist only since 2025.8; older servers drop them silently and answer every user in
 * username order, so the feed checks for `last_updated` first and turns itself off without it
 * (the full sync keeps working). Paging is by key, not page number: each request asks for users
 * updated after the last one seen (minus 1 ms, deduplicated by pk and timestamp), so a user
 * updated while the poll pages moves behind the floor and is read later instead of shifting
 * someone else off a page. A page whose users all share one millisecond is read by page number.
 */
export class AuthentikFeed {
  readonly #api: AuthentikApi;
  readonly #features: ProviderFeatures;

  constructor(api: AuthentikApi, features: ProviderFeatures) {
    this.#api = api;
    this.#features = features;
  }

  /** The first cursor: the newest user's `last_updated`; probes whether the server has it. */
  async start(signal: AbortSignal): Promise<string> {
    const newest = await this.#probe(signal);
    if (newest === undefined || typeof newest.last_updated !== 'string') return encode({ t: new Date(0).toISOString(), seen: [] });
    return encode({ t: newest.last_updated, seen: [keyOf(newest)] });
  }

  /** Calls `onUser` for each user changed since `raw` and returns the next cursor (unchanged while the feed is off). */
  async poll(raw: string, signal: AbortSignal, onUser: (user: Json) => void): Promise<string> {
    if (this.#features.enabled(FEATURE) === undefined) await this.#probe(signal);
    if (this.#features.enabled(FEATURE) === false) return raw;
    const cursor = decode(raw);
    const seen = new Set(cursor.seen);
    let newest = cursor.t;
    let floor = Date.parse(cursor.t) - OVERLAP_MS;
    let previousFloor = Number.NaN;
    let pageIndex = 0;
    for (let request = 0; request < MAX_REQUESTS; request++) {
      pageIndex = floor === previousFloor ? pageIndex + 1 : 0;
      previousFloor = floor;
      const query = { last_updated__gt: new Date(floor).toISOString(), ordering: 'last_updated', include_groups: false, include_roles: false };
      const page = await this.#api.page(USERS, pageIndex, query, signal);
      let last: string | undefined;
      for (const user of page.items) {
        const ts = user.last_updated;
        if (typeof ts !== 'string') return this.#turnOff(raw);
        last = ts;
        const key = keyOf(user);
        if (seen.has(key)) continue;
        seen.add(key);
        if (later(ts, newest)) newest = ts;
        onUser(user);
      }
      if (!page.more || last === undefined) break;
      floor = Math.max(floor, Date.parse(last) - 1);
    }
    const keep = Date.parse(newest) - OVERLAP_MS;
    return encode({ t: newest, seen: [...seen].filter((k) => Date.parse(k.slice(k.indexOf('@') + 1)) > keep) });
  }

  /** Asks for the most recently updated user; without `last_updated` in the answer the feed is off. */
  async #probe(signal: AbortSignal): Promise<Json | undefined> {
    const page = await this.#api.page(USERS, 0, { ordering: '-last_updated', include_groups: false, include_roles: false }, signal, 1);
    const first = asObject(page.items[0]);
    if (first === undefined) return undefined;
    if (typeof first.last_updated !== 'string') {
      this.#turnOff('');
      return undefined;
    }
    this.#features.on(FEATURE, 'last_updated__gt polling (Authentik 2025.8 or newer)');
    return first;
  }

  #turnOff<T>(value: T): T {
    this.#features.off(FEATURE, 'this Authentik has no last_updated (before 2025.8): changes arrive with the full sync (sync.intervalSeconds); upgrade for faster updates');
    return value;
  }
}

/** Which of two Authentik timestamps is later (by instant, then by text for sub-millisecond digits). */
function later(a: string, b: string): boolean {
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return x !== y ? x > y : a > b;
}

function keyOf(user: Json): string {
  return `${idString(user.pk)}@${String(user.last_updated)}`;
}

function encode(c: FeedCursor): string {
  return JSON.stringify(c);
}

/** Reads a cursor; a bare timestamp is what versions before the overlap wrote. */
function decode(raw: string): FeedCursor {
  if (!raw.startsWith('{') && !Number.isNaN(Date.parse(raw))) return { t: raw, seen: [] };
  try {
    const c = asObject(JSON.parse(raw));
    if (c && typeof c.t === 'string' && !Number.isNaN(Date.parse(c.t)) && Array.isArray(c.seen)) return { t: c.t, seen: c.seen.map(String) };
  } catch { /* reported below */ }
  throw new ProviderError('PROVIDER_CONFIG', `authentik: change cursor ${JSON.stringify(raw.slice(0, 60))} is not one this provider wrote`);
}
