import { DirectoryError, type DirectoryProblem } from '../errors.js';
import { addressKey, domainOf, lookupKey, normalizeDomain, parseAddress } from './address.js';
import { BuildContext, ClaimKind } from './build-context.js';
import { parseQuota, type ListEntry, type MailboxEntry, type RecordSet } from './directory-data.js';
import type { DirectoryIndexes } from './directory-indexes.js';
import { addressList, checkMailboxFields, NO_PASSWORDS } from './entry-fields.js';
import { EntryList, NOT_JSON } from './entry-list.js';
import { LayeredMap } from './layered-map.js';
import { PackedBuilder } from './packed-builder.js';
import type { MailboxPasswords } from './passwords.js';
import { StoredBuild } from './stored-build.js';
import { ENTRY_STEP, LIST_STEP, runSteps, type Steps } from './build-steps.js';

/** What a build returns: the indexes and every problem found. */
export type BuiltIndexes = DirectoryIndexes & { problems: DirectoryProblem[] };

/**
 * Validates untrusted directory data (a parsed file or a provider answer) and builds the indexes.
 * Every problem is collected. Strict mode refuses the whole directory if there is any problem, so
 * a reload with a typo keeps the last good data; lenient mode skips the offending entries and
 * reports them in `problems` (providers: one broken user must not stop everyone's mail).
 */
export function buildIndexes(input: unknown, options: { strict: boolean; source: string }): BuiltIndexes {
  return runSteps(buildIndexSteps(input, options));
}

/** {@link buildIndexes} as steps (build-steps.ts), for a build that must not hold the event loop. */
export function* buildIndexSteps(input: unknown, options: { strict: boolean; source: string }): Steps<BuiltIndexes> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DirectoryError(options.source, [{ where: '(top level)', reason: 'expected an object with "mailboxes"' }]);
  }
  const raw = input as Record<string, unknown>;
  const entries = (name: string): EntryList => EntryList.parsed(Array.isArray(raw[name]) ? raw[name] : []);
  const built = yield* new IndexBuilder(raw, entries('mailboxes'), entries('lists')).steps();
  if (built.problems.length > 0 && options.strict) throw new DirectoryError(options.source, built.problems);
  return built;
}

/** A directory as stored (Redis): the explicit domains and records, and each entry's JSON as written. */
export interface StoredDirectory {
  readonly domains?: unknown;
  readonly mailboxes: readonly Buffer[];
  readonly lists: readonly Buffer[];
  readonly records?: RecordSet;
}

/**
 * The lenient build of a stored directory: the same indexes and problems as buildIndexes gives
 * for the parsed entries, but an entry already in canonical form is taken from its bytes unparsed
 * (stored-entry-scan.ts), and one that is not JSON is reported and skipped.
 */
export function buildStoredIndexes(stored: StoredDirectory): BuiltIndexes {
  return runSteps(buildStoredIndexSteps(stored));
}

/** {@link buildStoredIndexes} as steps (build-steps.ts). */
export function buildStoredIndexSteps(stored: StoredDirectory): Steps<BuiltIndexes> {
  const raw = { ...(stored.domains !== undefined && { domains: stored.domains }), ...(stored.records && { records: stored.records }) };
  return new IndexBuilder(raw, EntryList.stored(stored.mailboxes), EntryList.stored(stored.lists)).steps();
}

/** One build: its passes over the mailboxes and lists (see BuildContext for what they share). */
class IndexBuilder {
  readonly #raw: Record<string, unknown>;
  readonly #ctx: BuildContext;
  /** Packed index of each indexed mailbox (-1: none), by its index in the input. */
  readonly #packedAt: Int32Array;
  readonly #packed = new PackedBuilder();
  readonly #stored: StoredBuild;

  constructor(raw: Record<string, unknown>, mailboxes: EntryList, lists: EntryList) {
    this.#raw = raw;
    this.#ctx = new BuildContext(mailboxes, lists);
    this.#packedAt = new Int32Array(mailboxes.length).fill(-1);
    this.#stored = new StoredBuild(this.#ctx, this.#packed);
  }

  /** The build's passes, yielding every {@link ENTRY_STEP} entries. */
  *steps(): Steps<BuiltIndexes> {
    const ctx = this.#ctx;
    const explicitDomains = this.#raw.domains !== undefined;
    yield* this.#reserve();
    this.#readDomains();
    this.#checkShape('mailboxes');
    const accepted = { indexes: [] as number[], keys: [] as (string | undefined)[], passwords: new Map<number, MailboxPasswords>() };
    for (let i = 0; i < ctx.mailboxes.length; i++) {
      this.#claimMailbox(i, explicitDomains, accepted);
      if (i % ENTRY_STEP === ENTRY_STEP - 1) yield;
    }
    for (let a = 0; a < accepted.indexes.length; a++) {
      const i = accepted.indexes[a]!;
      const key = accepted.keys[a];
      if (key !== undefined) this.#addMailbox(ctx.mailboxes.value(i) as MailboxEntry, accepted.passwords.get(i) ?? NO_PASSWORDS, key, i, undefined);
      else this.#addStoredMailbox(i);
      if (a % ENTRY_STEP === ENTRY_STEP - 1) yield;
    }
    this.#checkShape('lists');
    for (let i = 0; i < ctx.lists.length; i++) {
      if (!this.#stored.addList(i)) this.#addList(i);
      if (i % LIST_STEP === LIST_STEP - 1) yield;
    }
    const records = this.#readRecords();
    const packed = yield* this.#packed.finishSteps();
    return {
      domains: ctx.domains, explicitDomains: explicitDomains ? [...ctx.domains.values()] : undefined, packed,
      ...(records && { records }), problems: ctx.problems,
    };
  }

  /** Reserves the packed tables at about their final size (see PackedBuilder.reserve). */
  *#reserve(): Steps<void> {
    const { mailboxes, lists } = this.#ctx;
    // Stored entries are mostly kept as they are: their JSON tables need about their size. Parsed
    // ones need at least the characters of their addresses, plus the JSON around them.
    const m = yield* mailboxes.sizeHintSteps();
    const l = yield* lists.sizeHintSteps();
    this.#packed.reserve({
      mailboxes: mailboxes.length, lists: lists.length, keys: m.keys + l.keys, keyBytes: m.keyChars + l.keyChars,
      mailboxBytes: mailboxes.storedBytes() || 2 * m.textChars + 32 * mailboxes.length, listBytes: lists.storedBytes() || l.textChars + 32 * lists.length,
    });
  }

  /** Second pass for a canonical stored mailbox: packed from its bytes, or rebuilt without a refused alias. */
  #addStoredMailbox(i: number): void {
    const added = this.#stored.addMailbox(i);
    if (typeof added === 'number') this.#packedAt[i] = added;
    else this.#addMailbox(this.#ctx.mailboxes.value(i) as MailboxEntry, NO_PASSWORDS, this.#stored.mailboxKey(i), i, added);
  }

  /** Entries given as something other than a list are a problem (and read as none). */
  #checkShape(name: 'domains' | 'mailboxes' | 'lists'): void {
    const v = this.#raw[name];
    if (v !== undefined && v !== null && !Array.isArray(v)) this.#ctx.problem(name, 'expected a list');
  }

  /**
   * Records are kept, not read: a RecordSet (a snapshot's, patched) as it is, a plain object (a
   * file, a provider) as a RecordSet of its entries; only the shape (an object) is checked.
   */
  #readRecords(): RecordSet | undefined {
    const r = this.#raw.records;
    if (r === undefined || r === null) return undefined;
    if (r instanceof LayeredMap) return r;
    if (typeof r !== 'object' || Array.isArray(r)) return void this.#ctx.problem('records', 'expected an object');
    return LayeredMap.fromObject(r as Record<string, unknown>);
  }

  #readDomains(): void {
    this.#checkShape('domains');
    const v = this.#raw.domains;
    for (const [i, d] of (Array.isArray(v) ? v : []).entries()) {
      const ascii = typeof d === 'string' ? normalizeDomain(d) : undefined;
      if (ascii === undefined) this.#ctx.problem(`domains[${i}]`, `${JSON.stringify(d)} is not a domain name`);
      else this.#ctx.domains.set(ascii, (d as string).toLowerCase());
    }
  }

  /**
   * First pass, mailbox i: every mailbox address is claimed before any alias or list, so those
   * can be checked against all of them. An accepted mailbox is kept as its input index with its
   * key (no object per mailbox: at a million they outlived the young generation and kept the
   * collector busy; no key for a canonical stored one, which the second pass scans again), plus
   * its passwords when it has any.
   */
  #claimMailbox(i: number, explicitDomains: boolean, accepted: { indexes: number[]; keys: (string | undefined)[]; passwords: Map<number, MailboxPasswords> }): void {
    const ctx = this.#ctx;
    const stored = this.#stored.claimMailbox(i, explicitDomains);
    if (stored !== undefined) {
      if (stored) accepted.indexes.push(i), accepted.keys.push(undefined);
      return;
    }
    const where = (): string => ctx.where('mailboxes', i);
    const entry = ctx.mailboxes.value(i) as MailboxEntry;
    if (entry === (NOT_JSON as unknown)) return ctx.problem(where(), 'stored value is not JSON');
    // The key straight from the address: no parsed object, and the address string itself when it is canonical.
    const key = typeof entry?.address === 'string' ? lookupKey(entry.address) : undefined;
    if (key === undefined) return ctx.problem(where(), 'address is missing or not an e-mail address');
    const passwords = checkMailboxFields(entry, where, (w, r) => ctx.problem(w, r));
    if (!passwords) return;
    const domain = key.slice(key.lastIndexOf('@') + 1);
    if (!ctx.claim(key, ClaimKind.Mailbox, i, where)) return;
    // After the claim: a refused duplicate must not change how its domain is written.
    if (!explicitDomains) ctx.domains.set(domain, domainOf(entry.address));
    accepted.indexes.push(i);
    accepted.keys.push(key);
    if (passwords !== NO_PASSWORDS) accepted.passwords.set(i, passwords);
  }

  /** Second pass for a parsed mailbox (`aliases`: its accepted alias texts, when already claimed). */
  #addMailbox(mb: MailboxEntry, passwords: MailboxPasswords, key: string, i: number, aliases: string[] | undefined): void {
    const ctx = this.#ctx;
    const texts: string[] = [];
    const aliasKeys: string[] = [];
    if (aliases) {
      texts.push(...aliases);
      aliasKeys.push(...aliases);
    } else {
      if (!ctx.hosted(key.slice(key.lastIndexOf('@') + 1), () => ctx.where('mailboxes', i))) return;
      const raw = mb.aliases ?? [];
      for (let j = 0; j < raw.length; j++) {
        const key = this.#aliasKey(raw[j], i, () => ctx.aliasWhere(i, j, raw[j]));
        if (key !== undefined) texts.push(raw[j]!.toLowerCase()), aliasKeys.push(key);
      }
    }
    const quotaBytes = mb.quotaBytes ?? parseQuota(mb.quota);
    // Field by field in one fixed order: every canonical entry has the same JSON layout.
    const entry: MailboxEntry = { address: mb.address.toLowerCase() };
    if (mb.id !== undefined) entry.id = String(mb.id);
    if (texts.length > 0) entry.aliases = texts;
    if (quotaBytes !== undefined) entry.quotaBytes = quotaBytes;
    if (mb.enabled === false) entry.enabled = false;
    if (passwords.passwordHashes) entry.passwordHashes = passwords.passwordHashes;
    if (passwords.appPasswords) entry.appPasswords = passwords.appPasswords;
    this.#packedAt[i] = this.#packed.mailbox(entry, key, domainOf(entry.address), aliasKeys);
  }

  /** The index key of an alias (`@domain` for a catch-all), or undefined after reporting why not. */
  #aliasKey(alias: unknown, i: number, where: () => string): string | undefined {
    const ctx = this.#ctx;
    if (typeof alias === 'string' && alias.startsWith('@')) {
      const d = normalizeDomain(alias.slice(1));
      if (d === undefined) return void ctx.problem(where(), 'catch-all is not "@domain"');
      if (!ctx.hosted(d, where)) return undefined;
      return ctx.claim(`@${d}`, ClaimKind.Alias, i, where) ? `@${d}` : undefined;
    }
    const key = typeof alias === 'string' ? lookupKey(alias) : undefined;
    if (key === undefined) return void ctx.problem(where(), 'alias is not an e-mail address');
    if (!ctx.hosted(key.slice(key.lastIndexOf('@') + 1), where) || !ctx.claim(key, ClaimKind.Alias, i, where)) return undefined;
    return key;
  }

  #addList(i: number): void {
    const ctx = this.#ctx;
    const where = (): string => ctx.where('lists', i);
    const l = ctx.lists.value(i) as ListEntry;
    if (l === (NOT_JSON as unknown)) return ctx.problem(where(), 'stored value is not JSON');
    const addr = typeof l?.address === 'string' ? parseAddress(l.address) : undefined;
    if (!addr) return ctx.problem(where(), 'address is missing or not an e-mail address');
    const report = (w: string, r: string): void => ctx.problem(w, r);
    const members = addressList(l.members, `${where()} members`, report);
    const senders = addressList(l.senders ?? [], `${where()} senders`, report);
    if (!members || !senders) return;
    if (members.length === 0) return ctx.problem(where(), 'a list needs at least one member');
    if (!ctx.hosted(addr.domain, where) || !ctx.claim(addressKey(addr), ClaimKind.List, i, where)) return;
    // A sender named by one of its aliases logs in with the mailbox address.
    const logins = senders.map((sender) => {
      const claim = ctx.claims.get(lookupKey(sender)!);
      const at = claim >= 0 && (claim & 3) !== ClaimKind.List ? this.#packedAt[claim >> 2]! : -1;
      return at >= 0 ? this.#packed.mailboxAddress(at) : sender;
    });
    const entry: ListEntry = {
      address: l.address.toLowerCase(), ...(l.id !== undefined && { id: String(l.id) }),
      members, ...(logins.length > 0 && { senders: logins }),
    };
    this.#packed.list(entry, addressKey(addr));
  }
}
