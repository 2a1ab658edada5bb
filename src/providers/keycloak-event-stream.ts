import type { HttpClient } from './http-client.js';
import { keycloakPager } from './keycloak-groups.js';
import { collectSimple } from './paging.js';
import { ProviderError } from './provider-error.js';

type Json = Record<string, unknown>;

/** Where one event stream stands: the newest event time seen and the events seen at that ms. */
export interface StreamCursor {
  readonly t: number;
  readonly seen: readonly string[];
}

/** What tells one Keycloak event listing apart: admin events or user events. */
export interface StreamSpec {
  /** `admin/realms/{realm}/admin-events` or `.../events`. */
  readonly path: string;
  readonly query: Record<string, string | readonly string[]>;
  /** The user an event is about, if any. */
  readonly userOf: (event: Json) => string | undefined;
}

const DAY_MS = 86_400_000;

/**
 * One Keycloak event listing read from a time on. `dateFrom` is inclusive, so events at the
 * cursor's millisecond are remembered and skipped. Keycloak before 26.2 takes no epoch ms (400)
 * but only `yyyy-MM-dd`, which it reads in its own time zone: the day asked for is the UTC day
 * before, so a server east or west of UTC never starts after the cursor, and events before it are
 * dropped here by their `time`.
 */
export class KeycloakEventStream {
  readonly #http: HttpClient;
  readonly #spec: StreamSpec;
  readonly #pageSize: number;
  /** Set when this Keycloak refused epoch-ms `dateFrom`. */
  #dayDates = false;

  constructor(http: HttpClient, spec: StreamSpec, pageSize: number) {
    this.#http = http;
    this.#spec = spec;
    this.#pageSize = pageSize;
  }

  /** The first cursor: the newest recorded event (server clock; it counts as seen); undefined when there is none. */
  async start(signal: AbortSignal): Promise<StreamCursor | undefined> {
    // Any event type will do: only its time (the server's clock) matters.
    const newest = (await keycloakPager(this.#http, this.#spec.path, {}, 1)(0, signal)).items[0];
    if (typeof newest?.time !== 'number') return undefined;
    return { t: newest.time, seen: [eventKey(newest)] };
  }

  /** Users touched since `cursor`, and the next cursor. */
  async poll(cursor: StreamCursor, signal: AbortSignal): Promise<{ userIds: Set<string>; cursor: StreamCursor }> {
    const events = await this.#since(cursor.t, signal);
    const seen = new Set(cursor.seen);
    let t = cursor.t;
    let atT = new Set(cursor.seen);
    const userIds = new Set<string>();
    // Keycloak lists newest first unless told otherwise (direction=asc is recent); order here.
    for (const e of events.sort((a, b) => Number(a.time) - Number(b.time))) {
      const time = Number(e.time);
      const key = eventKey(e);
      if (!(time >= cursor.t) || (time === cursor.t && seen.has(key))) continue;
      const user = this.#spec.userOf(e);
      if (user) userIds.add(user);
      if (time > t) { t = time; atT = new Set(); }
      atT.add(key);
    }
    return { userIds, cursor: { t, seen: [...atT] } };
  }

  async #since(t: number, signal: AbortSignal): Promise<Json[]> {
    const dateFrom = this.#dayDates ? new Date(t - DAY_MS).toISOString().slice(0, 10) : String(t);
    const page = keycloakPager(this.#http, this.#spec.path, { ...this.#spec.query, dateFrom }, this.#pageSize);
    try {
      return await collectSimple((i) => page(i, signal));
    } catch (err) {
      if (err instanceof ProviderError && err.status === 400 && !this.#dayDates) {
        this.#dayDates = true;
        return this.#since(t, signal);
      }
      throw err;
    }
  }
}

/** Newer Keycloak gives events an id; older ones are told apart by what they did. */
function eventKey(e: Json): string {
  return typeof e.id === 'string' ? e.id : `${e.time}:${e.operationType ?? e.type}:${e.resourcePath ?? e.userId}`;
}
