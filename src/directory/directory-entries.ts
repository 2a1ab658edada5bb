import { ENTRY_STEP, type Steps } from './build-steps.js';
import type { ListEntry, MailboxEntry } from './directory-data.js';
import { forEachLiveEntry, liveEntrySteps, type Layer } from './directory-layers.js';
import type { Directory } from './directory.js';

/** Live entries a parsing step reads: each is a JSON.parse of a few hundred bytes. */
const PARSE_STEP = 4 * ENTRY_STEP;

/** Every live mailbox and list of `layers` parsed, oldest layer first (made on each call), in steps. */
export function* parsedEntrySteps(layers: readonly Layer[]): Steps<{ mailboxes: MailboxEntry[]; lists: ListEntry[] }> {
  const mailboxes: MailboxEntry[] = [];
  const lists: ListEntry[] = [];
  yield* liveEntrySteps(layers, false, (p, i) => void mailboxes.push(p.mailboxEntry(i)), undefined, PARSE_STEP);
  yield* liveEntrySteps(layers, true, (p, i) => void lists.push(p.listEntry(i)), undefined, PARSE_STEP);
  return { mailboxes, lists };
}

/**
 * Every live entry's canonical JSON, unparsed: mailboxes by address, lists by key. What a full
 * Redis write sends, at a fraction of the cost (and memory) of Directory.data.
 */
export function entryTexts(dir: Directory): { mailboxes: Map<string, string>; lists: Map<string, string> } {
  const mailboxes = new Map<string, string>();
  const lists = new Map<string, string>();
  forEachLiveEntry(dir.parts.layers, false, (p, i) => mailboxes.set(p.mailboxAddress(i), p.mailboxText(i)));
  forEachLiveEntry(dir.parts.layers, true, (p, i) => lists.set(p.listKeyOf(i), p.listText(i)));
  return { mailboxes, lists };
}
