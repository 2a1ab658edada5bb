import { socketmapNameEnd } from '../../protocol/socketmap.js';
import type { ResolverCache } from './resolver-cache.js';
import { SLOW, SUFFIXED, writeAnswerBytes, type Answer } from '../directory/answers.js';
import type { AddressResolver } from '../directory/resolve.js';
import type { LookupCounters } from '../ops/lookup-counters.js';
import { NOT_FOUND, type LookupResult } from './lookup-result.js';
import type { ReplyWriter } from '../servers/reply-writer.js';
import { foundFrame, NOTFOUND_FRAME, OVERSIZE_FRAME, socketmapFrame } from '../servers/replies.js';

type MapHandler = (resolver: AddressResolver, key: string) => Answer;

/**
 * The socketmap names mailroster answers and what each one returns; a map's position is the id
 * KeyBytesResolver.answer takes.
 */
const MAPS: readonly (readonly [name: string, handler: MapHandler])[] = [
  // virtual_mailbox_domains: any non-empty value; we return the domain.
  ['domain', (r, key) => r.domain(key)],
  // virtual_mailbox_maps: "domain/local/" is the conventional maildir-style value.
  ['mailbox', (r, key) => r.mailboxAnswer(key)],
  // virtual_alias_maps and smtpd_sender_login_maps take comma-separated lists.
  ['alias', (r, key) => r.aliasAnswer(key)],
  ['senders', (r, key) => r.sendersAnswer(key)],
];

/** Names of the maps, for `postfix-config` and the PERM reason. */
export const SOCKETMAP_NAMES: readonly string[] = MAPS.map(([name]) => name);
const NAME_BYTES = SOCKETMAP_NAMES.map((n) => Buffer.from(n, 'latin1'));

/** The id of the map named by `b[0..end]`, or -1. */
function mapIdOf(b: Buffer, end: number): number {
  next: for (let id = 0; id < NAME_BYTES.length; id++) {
    const name = NAME_BYTES[id]!;
    if (name.length !== end) continue;
    for (let i = 0; i < end; i++) if (b[i] !== name[i]) continue next;
    return id;
  }
  return -1;
}

function unknownMap(name: string): LookupResult {
  return { kind: 'unknown-map', reason: `unknown map "${name.slice(0, 40)}"; known maps: ${SOCKETMAP_NAMES.join(', ')}` };
}

/** Answers one socketmap query (`NAME KEY`) from the current snapshot, as a value (CLI, tests). */
export function lookupSocketmap(cache: ResolverCache, name: string, key: string): LookupResult {
  const id = SOCKETMAP_NAMES.indexOf(name);
  if (id < 0) return unknownMap(name);
  const resolver = cache.resolver();
  if (!resolver) return { kind: 'unavailable', reason: cache.unavailableReason() };
  const value = resolver.value(MAPS[id]![1](resolver, key));
  return value === undefined ? NOT_FOUND : { kind: 'found', value };
}

/** How a written reply went, for the connection's logs. */
export const enum WrittenReply { Found, NotFound, Unavailable, UnknownMap, Oversize }

/**
 * Answers from the byte path whose frames are kept per snapshot: hosted domains, and lists (the
 * long ones). Those repeat until the snapshot changes, and there are as many as domains and
 * lists; answers that carry an extension are never kept (a client picks those).
 */
const MEMO_MIN_BYTES = 1024;

/** Counter slots of one map: found, not-found, unavailable. */
type Slots = readonly [found: number, notFound: number, unavailable: number];

/**
 * The server's path for one socketmap request: the reply, counted, framed into the batch being
 * written. A canonical key is answered from its bytes (no string made); mailbox replies are
 * copied from the snapshot's key bytes; every other answer is framed once here.
 */
export class SocketmapAnswers {
  readonly #cache: ResolverCache;
  readonly #counters: LookupCounters;
  readonly #slots: readonly Slots[];
  readonly #unknownSlot: number;
  /** Frames of answers that repeat (a domain, a list), for the resolver they came from. */
  readonly #frames = new Map<string, Buffer>();
  #framesOf: AddressResolver | undefined;

  constructor(cache: ResolverCache, counters: LookupCounters) {
    this.#cache = cache;
    this.#counters = counters;
    this.#slots = SOCKETMAP_NAMES.map((n) => ['found', 'not-found', 'unavailable'].map((r) => counters.slot('socketmap', n, r)) as unknown as Slots);
    this.#unknownSlot = counters.slot('socketmap', '(unknown)', 'unknown-map');
  }

  /** Appends the reply to request payload `NAME KEY` to `out`; throws ProtocolError when it is not that. */
  write(payload: Buffer, out: ReplyWriter): WrittenReply {
    const space = socketmapNameEnd(payload);
    const id = mapIdOf(payload, space);
    if (id < 0) {
      this.#counters.count(this.#unknownSlot);
      out.frame(socketmapFrame(unknownMap(payload.toString('latin1', 0, space))));
      return WrittenReply.UnknownMap;
    }
    const slots = this.#slots[id]!;
    const resolver = this.#cache.resolver();
    if (!resolver) {
      this.#counters.count(slots[2]);
      out.frame(socketmapFrame({ kind: 'unavailable', reason: this.#cache.unavailableReason() }));
      return WrittenReply.Unavailable;
    }
    let answer = resolver.bytes.answer(id, payload, space + 1, payload.length);
    const exact = answer !== SLOW;
    // Postfix writes keys as raw bytes; invalid UTF-8 decodes to U+FFFD and simply matches nothing.
    if (!exact) answer = MAPS[id]![1](resolver, payload.toString('utf8', space + 1));
    if (answer === undefined || answer === '') {
      this.#counters.count(slots[1]);
      out.frame(NOTFOUND_FRAME);
      return WrittenReply.NotFound;
    }
    this.#counters.count(slots[0]);
    if (answer === SUFFIXED) {
      resolver.bytes.writeSuffixed(out);
      return WrittenReply.Found;
    }
    // A mailbox's reply is its own key's bytes, copied; else (an IDN address) framed from its value.
    if (typeof answer === 'number') {
      if (!writeAnswerBytes(resolver.directory, answer, out)) out.frame(foundFrame(resolver.value(answer)!));
      return WrittenReply.Found;
    }
    const frame = exact && (id === 0 || answer.length >= MEMO_MIN_BYTES) ? this.#memoFrame(resolver, answer) : foundFrame(answer);
    out.frame(frame);
    return frame === OVERSIZE_FRAME ? WrittenReply.Oversize : WrittenReply.Found;
  }

  /**
   * The frame of an answer that repeats until the snapshot changes: framed once, not per query.
   * Kept by the answer's own text, so a frame is never wrong; a new snapshot only drops the old ones.
   */
  #memoFrame(resolver: AddressResolver, answer: string): Buffer {
    if (resolver !== this.#framesOf) {
      this.#frames.clear();
      this.#framesOf = resolver;
    }
    let frame = this.#frames.get(answer);
    if (frame === undefined) this.#frames.set(answer, (frame = foundFrame(answer)));
    return frame;
  }
}
