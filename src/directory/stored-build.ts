import { BuildContext, ClaimKind } from './build-context.js';
import type { PackedBuilder } from './packed-builder.js';
import { DomainNames, EntryScan, scanStoredList, scanStoredMailbox } from './stored-entry-scan.js';

/**
 * The part of a build that takes stored entries in canonical form from their bytes (a warm start
 * from Redis): keys claimed and packed straight from the JSON a leader wrote, which is kept as
 * the entry's canonical JSON. Each step does what the parsed path does for the same entry, in the
 * same order, so the problems and the result are the same; entries it cannot take (see
 * stored-entry-scan.ts) are left to the parsed path.
 */
export class StoredBuild {
  readonly #ctx: BuildContext;
  readonly #packed: PackedBuilder;
  readonly #scan = new EntryScan();
  readonly #names = new DomainNames();

  constructor(ctx: BuildContext, packed: PackedBuilder) {
    this.#ctx = ctx;
    this.#packed = packed;
  }

  /**
   * First pass for mailbox i: undefined when it is not a canonical stored entry (the caller takes
   * it), else whether its own key was claimed (and, without explicit domains, its domain hosted).
   */
  claimMailbox(i: number, explicitDomains: boolean): boolean | undefined {
    const b = this.#ctx.mailboxes.stored(i);
    const s = this.#scan;
    if (!b || !scanStoredMailbox(b, s)) return undefined;
    if (!this.#ctx.claimBytes(b, s.from, s.to, s.hash, ClaimKind.Mailbox, i)) return false;
    if (!explicitDomains) {
      const domain = this.#names.name(b, s.at + 1, s.to, s.domainHash);
      this.#ctx.domains.set(domain, domain);
    }
    return true;
  }

  /**
   * Second pass for a mailbox {@link claimMailbox} accepted: its aliases claimed and the entry
   * packed from its bytes; returns its packed index, or -1 when its domain is not hosted. When an
   * alias is refused the bytes are no longer canonical: returns the alias texts kept instead, for
   * the caller to build the entry without the others.
   */
  addMailbox(i: number): number | string[] {
    const ctx = this.#ctx;
    const b = ctx.mailboxes.stored(i)!;
    const s = this.#scan;
    scanStoredMailbox(b, s);
    const domain = this.#names.name(b, s.at + 1, s.to, s.domainHash);
    if (!ctx.domains.has(domain) && !ctx.hosted(domain, () => ctx.where('mailboxes', i))) return -1;
    let refused: boolean[] | undefined;
    for (let j = 0; j < s.aliases; j++) {
      const [from, to] = [s.aliasFrom[j]!, s.aliasTo[j]!];
      const d = this.#names.name(b, s.aliasAt[j]! + 1, to, s.aliasDomainHash[j]!);
      const hosted = ctx.domains.has(d) || ctx.hosted(d, () => ctx.aliasWhere(i, j, b.toString('latin1', from, to)));
      if (!hosted || !ctx.claimBytes(b, from, to, s.aliasHash[j]!, ClaimKind.Alias, i, j)) (refused ??= [])[j] = true;
    }
    if (!refused) return this.#packed.storedMailbox(b, s, domain);
    const kept: string[] = [];
    for (let j = 0; j < s.aliases; j++) if (!refused[j]) kept.push(b.toString('latin1', s.aliasFrom[j]!, s.aliasTo[j]!));
    return kept;
  }

  /** The own key of a mailbox {@link addMailbox} handed back (its address). */
  mailboxKey(i: number): string {
    const b = this.#ctx.mailboxes.stored(i)!;
    scanStoredMailbox(b, this.#scan);
    return b.toString('latin1', this.#scan.from, this.#scan.to);
  }

  /** List i: false when it is not a canonical stored list (the caller takes it), else true once claimed and packed or refused. */
  addList(i: number): boolean {
    const ctx = this.#ctx;
    const b = ctx.lists.stored(i);
    const s = this.#scan;
    if (!b || !scanStoredList(b, s)) return false;
    const domain = this.#names.name(b, s.at + 1, s.to, s.domainHash);
    if (!ctx.domains.has(domain) && !ctx.hosted(domain, () => ctx.where('lists', i))) return true;
    if (ctx.claimBytes(b, s.from, s.to, s.hash, ClaimKind.List, i)) this.#packed.storedList(b, s);
    return true;
  }
}
