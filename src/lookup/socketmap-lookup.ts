import type { ResolverCache } from './resolver-cache.js';
import { answerValue, type AddressResolver, type Answer } from '../directory/resolve.js';
import type { LookupCounters } from '../ops/lookup-counters.js';
import { NOT_FOUND, type LookupResult } from './lookup-result.js';
import { foundFrame, NOTFOUND_FRAME, socketmapFrame } from '../servers/replies.js';

type MapHandler = (resolver: AddressResolver, key: string) => Answer;

/** The socketmap names mailroster answers and what each one returns. */
const MAPS: Readonly<Record<string, MapHandler>> = {
  // virtual_mailbox_domains: any non-empty value; we return the domain.
  domain: (r, key) => r.domain(key),
  // virtual_mailbox_maps: "domain/local/" is the conventional maildir-style value.
  mailbox: (r, key) => r.mailboxAnswer(key),
  // virtual_alias_maps and smtpd_sender_login_maps take comma-separated lists.
  alias: (r, key) => r.aliasAnswer(key),
  senders: (r, key) => r.sendersAnswer(key),
};

/** Names of the maps, for `postfix-config` and the PERM reason. */
export const SOCKETMAP_NAMES: readonly string[] = Object.keys(MAPS);

function unknownMap(name: string): LookupResult {
  return { kind: 'unknown-map', reason: `unknown map "${name.slice(0, 40)}"; known maps: ${SOCKETMAP_NAMES.join(', ')}` };
}

/** Answers one socketmap query (`NAME KEY`) from the current snapshot. */
export function lookupSocketmap(cache: ResolverCache, name: string, key: string): LookupResult {
  const handler = Object.hasOwn(MAPS, name) ? MAPS[name] : undefined;
  if (!handler) return unknownMap(name);
  const resolver = cache.resolver();
  if (!resolver) return { kind: 'unavailable', reason: cache.unavailableReason() };
  const value = answerValue(handler(resolver, key));
  return value === undefined ? NOT_FOUND : { kind: 'found', value };
}

/** Counter slots of one map: found, not-found, unavailable. */
type Slots = readonly [found: number, notFound: number, unavailable: number];

/**
 * The server's path for one socketmap query: the framed reply, counted. Answers that never depend
 * on the query leave as the prebuilt bytes of the snapshot; the rest are framed once here.
 */
export class SocketmapAnswers {
  readonly #cache: ResolverCache;
  readonly #counters: LookupCounters;
  readonly #slots: ReadonlyMap<string, Slots>;
  readonly #unknownSlot: number;

  constructor(cache: ResolverCache, counters: LookupCounters) {
    this.#cache = cache;
    this.#counters = counters;
    this.#slots = new Map(SOCKETMAP_NAMES.map((n) => [n, ['found', 'not-found', 'unavailable'].map((r) => counters.slot('socketmap', n, r)) as unknown as Slots]));
    this.#unknownSlot = counters.slot('socketmap', '(unknown)', 'unknown-map');
  }

  /** The netstring to send for `name key`. */
  frame(name: string, key: string): Buffer {
    const slots = this.#slots.get(name);
    if (slots === undefined) {
      this.#counters.count(this.#unknownSlot);
      return socketmapFrame(unknownMap(name));
    }
    const resolver = this.#cache.resolver();
    if (!resolver) {
      this.#counters.count(slots[2]);
      return socketmapFrame({ kind: 'unavailable', reason: this.#cache.unavailableReason() });
    }
    const answer = MAPS[name]!(resolver, key);
    if (answer === undefined || answer === '') {
      this.#counters.count(slots[1]);
      return NOTFOUND_FRAME;
    }
    this.#counters.count(slots[0]);
    return typeof answer === 'string' ? foundFrame(answer) : answer;
  }
}
