import type { Directory } from './directory.js';
import { LAYER_BITS, LAYER_MASK } from './directory-layers.js';

/**
 * An answer before framing: a number for the answers that never depend on the query (a mailbox's
 * `domain/local/` or its address, see {@link mailboxAnswer}), which the socketmap server copies
 * from the snapshot's key bytes; a value for those that do (an extension carried over, a list); or
 * undefined for "no such entry".
 */
export type Answer = number | string | undefined;

/** KeyBytesResolver.answer could not decide from the bytes alone: take the string path. */
export const SLOW = -1;

/**
 * KeyBytesResolver.answer's answer is a mailbox address with the query's extension put in
 * (`user+tag@`); KeyBytesResolver.writeSuffixed writes it.
 */
export const SUFFIXED = -2;

/** Where reply bytes are copied to (the socketmap server's reply writer). */
export interface KeyBytesSink {
  /** `OK <b[from..to]>`: the address itself. */
  ok(b: Buffer, from: number, to: number): void;
  /** `OK domain/local/` of the address `b[from..to]`. */
  okMailbox(b: Buffer, from: number, to: number): void;
  /** `OK <address b[from..to] with s[sFrom..sTo] inserted before its '@'>`. */
  okSuffixed(b: Buffer, from: number, to: number, s: Buffer, sFrom: number, sTo: number): void;
}

// A number answer is `ref * 4 + which * 2 + 1` for a mailbox ref (odd) and `+ 2` for the ref of
// the mailbox's own key (even): never 0, so an answer is truthy exactly when there is one.

/** The Answer for mailbox `ref`'s reply `which` (0: `domain/local/`, 1: its address). */
export function mailboxAnswer(ref: number, which: 0 | 1): number {
  return ref * 4 + which * 2 + 1;
}

/**
 * The Answer for reply `which` of the mailbox key ref `keyRef` names, by the mailbox's own key
 * when its address is that key (read from the key's record, no mailbox array), else by mailbox.
 */
export function keyAnswer(dir: Directory, keyRef: number, which: 0 | 1): number {
  const p = dir.layerIndex(keyRef);
  const k = keyRef >>> LAYER_BITS;
  const l = keyRef & LAYER_MASK;
  return p.targetPlain(k) ? ((p.replyKey(k) << LAYER_BITS) | l) * 4 + which * 2 + 2 : mailboxAnswer((p.targetOf(k) << LAYER_BITS) | l, which);
}

/** The value an answer stands for (what Postfix gets after `OK `). */
export function answerValue(dir: Directory, answer: Answer): string | undefined {
  if (typeof answer !== 'number') return answer;
  const ref = refOf(answer);
  const p = dir.layerIndex(ref);
  const i = ref >>> LAYER_BITS;
  if (byKey(answer)) {
    const key = p.key(i);
    return whichOf(answer) === 1 ? key : mailboxReplyValue(key.slice(key.lastIndexOf('@') + 1), key);
  }
  return whichOf(answer) === 1 ? p.mailboxAddress(i) : mailboxReplyValue(p.domainNames[p.mailboxDomain[i]!]!, p.mailboxKey(i));
}

/**
 * Hands a number answer's reply to `out` as the bytes of the mailbox's own key, when its address
 * is that key; false otherwise (an IDN domain, say: the caller frames {@link answerValue}).
 */
export function writeAnswerBytes(dir: Directory, answer: number, out: KeyBytesSink): boolean {
  const ref = refOf(answer);
  const p = dir.layerIndex(ref);
  const i = ref >>> LAYER_BITS;
  const keyNamed = byKey(answer);
  if (!keyNamed && !p.plain(i)) return false;
  const k = keyNamed ? i : p.mailboxKeys[i]!;
  if (whichOf(answer) === 1) out.ok(p.keyBytes, p.keyStart(k), p.keyEnd(k));
  else out.okMailbox(p.keyBytes, p.keyStart(k), p.keyEnd(k));
  return true;
}


const refOf = (answer: number): number => Math.floor((answer - 1) / 4);
const whichOf = (answer: number): 0 | 1 => (Math.floor((answer - 1) / 2) % 2) as 0 | 1;
const byKey = (answer: number): boolean => (answer - 1) % 2 === 1;

/** The socketmap reply payload of a mailbox: the conventional maildir-style `domain/local/`. */
function mailboxReplyValue(domain: string, key: string): string {
  return `${domain}/${key.slice(0, key.lastIndexOf('@'))}/`;
}
