import type { DirectoryProblem } from '../errors.js';
import { lookupKey, normalizeDomain } from './address.js';
import { ClaimTable } from './claim-table.js';
import type { MailboxEntry } from './directory-data.js';
import type { EntryList } from './entry-list.js';

/**
 * Which entry claimed an address, as one small integer (no object or string per key, which at a
 * million entries was most of a build): `index << 2 | kind`, index of the mailbox or list.
 */
export const enum ClaimKind { Mailbox = 0, Alias = 1, List = 2 }
const KIND_NAMES = ['mailbox', 'alias', 'list'] as const;

/**
 * What one build shares between its passes: the entries, the problems found so far, the hosted
 * domains, and which entry claimed each address, with the problem messages that name both
 * places of a clash.
 */
export class BuildContext {
  readonly problems: DirectoryProblem[] = [];
  /** ASCII domain -> domain as written. */
  readonly domains = new Map<string, string>();
  readonly claims: ClaimTable;
  readonly mailboxes: EntryList;
  readonly lists: EntryList;

  constructor(mailboxes: EntryList, lists: EntryList) {
    this.mailboxes = mailboxes;
    this.lists = lists;
    // Most mailboxes have an address and an alias: room for both from the start.
    this.claims = new ClaimTable(2 * mailboxes.length + lists.length);
  }

  problem(where: string, reason: string): void {
    this.problems.push({ where, reason });
  }

  /** Where an entry is in the input, for problem messages (made only when there is a problem). */
  where(name: 'mailboxes' | 'lists', i: number): string {
    const entry = (name === 'mailboxes' ? this.mailboxes : this.lists).value(i) as { address?: unknown } | undefined;
    return `${name}[${i}]${typeof entry?.address === 'string' ? ` (${entry.address})` : ''}`;
  }

  aliasWhere(i: number, j: number, alias: unknown): string {
    return `${this.where('mailboxes', i)} aliases[${j}] (${String(alias)})`;
  }

  /** True when `domain` (ASCII) is hosted; else reports that at `where`. */
  hosted(domain: string, where: () => string): boolean {
    if (this.domains.has(domain)) return true;
    this.problem(where(), `domain ${domain} is not a hosted domain`);
    return false;
  }

  /** Records that `key` belongs to an entry; a second claim is a problem, reported at `where`. */
  claim(key: string, kind: ClaimKind, index: number, where: () => string): boolean {
    return this.#won(this.claims.claim(key, (index << 2) | kind), kind, () => key, where);
  }

  /**
   * {@link claim} for a canonical (ASCII) key in `b[from..to]` whose hash is `h`: a mailbox's or
   * list's own key, or alias `alias` of mailbox `index`. No closure is made unless it clashes.
   */
  claimBytes(b: Buffer, from: number, to: number, h: number, kind: ClaimKind, index: number, alias = -1): boolean {
    const prior = this.claims.claimBytes(b, from, to, h, (index << 2) | kind);
    if (prior < 0) return true;
    const key = b.toString('latin1', from, to);
    const where = kind === ClaimKind.Alias ? () => this.aliasWhere(index, alias, key) : () => this.where(kind === ClaimKind.List ? 'lists' : 'mailboxes', index);
    return this.#won(prior, kind, () => key, where);
  }

  #won(prior: number, kind: ClaimKind, key: () => string, where: () => string): boolean {
    if (prior < 0) return true;
    const [was, now] = [KIND_NAMES[prior & 3]!, KIND_NAMES[kind]];
    const what = was === now ? `duplicate ${now}` : `${now} is also a ${was}`;
    this.problem(where(), `${what} (already at ${this.#whereOf(key(), prior)})`);
    return false;
  }

  #whereOf(key: string, claim: number): string {
    const i = claim >> 2;
    if ((claim & 3) === ClaimKind.List) return this.where('lists', i);
    if ((claim & 3) === ClaimKind.Mailbox) return this.where('mailboxes', i);
    const aliases = (this.mailboxes.value(i) as MailboxEntry).aliases!;
    const j = aliases.findIndex((a) => (typeof a === 'string' && a.startsWith('@') ? `@${normalizeDomain(a.slice(1))}` : lookupKey(String(a))) === key);
    return this.aliasWhere(i, j, aliases[j]);
  }
}
