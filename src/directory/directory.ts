import type { DirectoryData, ListEntry, MailboxEntry, RecordSet } from './directory-data.js';
import { addressKey, parseAddress } from './address.js';
import { buildIndexSteps } from './directory-builder.js';
import { runSteps, type Steps } from './build-steps.js';
import { sortedRefSteps } from './sorted-refs.js';
import { parsedEntrySteps } from './directory-entries.js';
import type { DirectoryProblem } from '../errors.js';
import { listOf, mailboxesPerDomain, mailboxOf, type DirectoryIndexes, type MailList, type Mailbox } from './directory-indexes.js';
import { KEY_ALIAS, KEY_CATCH_ALL, KEY_LIST, KEY_MAILBOX, type PackedIndex } from './packed-index.js';
import { catchAllsOf, LAYER_BITS, LAYER_MASK, type Layer } from './directory-layers.js';

export type { DirectoryIndexes, MailList, Mailbox };
export { KEY_ALIAS, KEY_CATCH_ALL, KEY_LIST, KEY_MAILBOX };

// Refs handed out by a snapshot are `index << LAYER_BITS | layer`: a key ref names an index key,
// a mailbox ref a mailbox, a list ref a list; -1 is "none". Valid for that snapshot only.

/** What a snapshot is made of; see directory-layers.ts for how patches add layers. */
export interface DirectoryParts {
  /** Oldest (the full build) first; each later layer holds entries a patch put. */
  readonly layers: readonly Layer[];
  readonly domains: ReadonlyMap<string, string>;
  readonly explicitDomains: readonly string[] | undefined;
  /** Implicit domains only: live mailboxes per ASCII domain (a domain is hosted while it has one). */
  readonly domainCounts: ReadonlyMap<string, number> | undefined;
  readonly mailboxCount: number;
  readonly problems?: readonly DirectoryProblem[];
  /** A push provider's documents kept with the entries (DirectoryData.records). */
  readonly records?: RecordSet;
}

/**
 * An immutable snapshot of the directory. Lookups read it without locks or I/O; a reload builds
 * a new one and swaps the reference, so a reader never sees half of a sync. Entries live in
 * packed layers (packed-index.ts): whole Mailbox and MailList objects are made only on request,
 * while the socketmap hot path works on refs and copies its replies from the key bytes.
 */
export class Directory {
  readonly #p: DirectoryParts;
  readonly #layers: readonly Layer[];
  readonly #catchAlls: ReadonlyMap<string, number>;
  #sorted: Int32Array | undefined;
  #data: WeakRef<DirectoryData> | undefined;
  /** Entries skipped while building (lenient builds only; strict builds throw instead). */
  readonly problems: readonly DirectoryProblem[];

  constructor(parts: DirectoryParts, catchAlls?: ReadonlyMap<string, number>) {
    this.#p = parts;
    this.#layers = parts.layers;
    this.problems = parts.problems ?? [];
    this.#catchAlls = catchAlls ?? catchAllsOf(parts.layers);
  }

  /** Builds a snapshot from plain data; problems are collected (strict) or reported and skipped. */
  static build(data: unknown, options: { strict: boolean; source: string }): Directory {
    return runSteps(Directory.buildSteps(data, options));
  }

  /** {@link build} as steps (build-steps.ts): a large build run in slices leaves lookups free meanwhile. */
  static *buildSteps(data: unknown, options: { strict: boolean; source: string }): Steps<Directory> {
    return Directory.fromIndexes(yield* buildIndexSteps(data, options));
  }

  /** A single-layer snapshot from one build. */
  static fromIndexes(ix: DirectoryIndexes & { problems?: readonly DirectoryProblem[] }): Directory {
    const p = ix.packed;
    const domainCounts = ix.explicitDomains === undefined ? mailboxesPerDomain(p) : undefined;
    return new Directory({
      layers: [{ index: p, dead: undefined, live: p.mailboxCount + p.listCount }],
      domains: ix.domains, explicitDomains: ix.explicitDomains, domainCounts, mailboxCount: p.mailboxCount,
      ...(ix.problems && { problems: ix.problems }), ...(ix.records && { records: ix.records }),
    });
  }

  /** The parts of this snapshot (indexed-directory.ts derives patched snapshots from them). */
  get parts(): DirectoryParts {
    return this.#p;
  }

  /** ASCII domain -> mailbox ref of the catch-all owner. */
  get catchAllRefs(): ReadonlyMap<string, number> {
    return this.#catchAlls;
  }

  /** The canonical data of this snapshot, made from the packed entries (and kept while in use). */
  get data(): DirectoryData {
    return runSteps(this.dataSteps());
  }

  /** {@link data} as steps (build-steps.ts): at a million entries the parse takes most of a second. */
  *dataSteps(): Steps<DirectoryData> {
    const cached = this.#data?.deref();
    if (cached) return cached;
    const { mailboxes, lists } = yield* parsedEntrySteps(this.#layers);
    const explicit = this.#p.explicitDomains;
    const records = this.#p.records;
    const data: DirectoryData = { ...(explicit && { domains: [...explicit] }), mailboxes, lists, ...(records && { records: records.toObject() }) };
    this.#data = new WeakRef(data);
    return data;
  }

  /** The explicit domain list, when the data has one. */
  get explicitDomains(): readonly string[] | undefined {
    return this.#p.explicitDomains;
  }

  /** The push provider's documents (SCIM resources), without materialising {@link data}. */
  get records(): RecordSet | undefined {
    return this.#p.records;
  }

  /** Number of mailboxes (enabled or not). */
  get mailboxCount(): number {
    return this.#p.mailboxCount;
  }

  /** Enabled and disabled mailboxes sorted by address, for iteration (made on each call). */
  get sortedMailboxes(): readonly Mailbox[] {
    return Array.from(this.sortedMailboxRefs(), (ref) => this.mailboxAt(ref));
  }

  /** Refs of every mailbox sorted by address (sorted on first use, then kept with the snapshot). */
  sortedMailboxRefs(): Int32Array {
    return this.#sorted ?? runSteps(this.sortedMailboxRefSteps());
  }

  /** {@link sortedMailboxRefs} as steps (sorted-refs.ts), for a caller that must not hold the event loop. */
  *sortedMailboxRefSteps(): Steps<Int32Array> {
    return (this.#sorted ??= yield* sortedRefSteps(this.#layers));
  }

  /** The hosted domain as written, for an ASCII domain; undefined if not hosted. */
  hostedDomain(asciiDomain: string): string | undefined {
    return this.#p.domains.get(asciiDomain);
  }

  /** The key ref of an index key (mailbox, alias, list or `@domain`), or -1. */
  findKey(key: string): number {
    const layers = this.#layers;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      const k = layer.index.find(key);
      if (k >= 0 && (layer.dead === undefined || !layer.dead.has(k))) return (k << LAYER_BITS) | l;
    }
    return -1;
  }

  /**
   * {@link findKey} for a key given as ASCII bytes `b[from..to]` with its hash (key-bytes.ts): the
   * request bytes are looked up as they are, no string is made.
   */
  findKeyBytes(b: Buffer, from: number, to: number, h: number): number {
    const layers = this.#layers;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      const k = layer.index.findHashed(b, from, to, h);
      if (k >= 0 && (layer.dead === undefined || !layer.dead.has(k))) return (k << LAYER_BITS) | l;
    }
    return -1;
  }

  /** KEY_MAILBOX, KEY_ALIAS, KEY_LIST or KEY_CATCH_ALL. */
  keyKind(keyRef: number): number {
    return this.#layers[keyRef & LAYER_MASK]!.index.kindOf(keyRef >>> LAYER_BITS);
  }

  /** The mailbox or list ref a key ref points at. */
  keyTarget(keyRef: number): number {
    return (this.#layers[keyRef & LAYER_MASK]!.index.targetOf(keyRef >>> LAYER_BITS) << LAYER_BITS) | (keyRef & LAYER_MASK);
  }

  /** True when a key ref names an enabled mailbox: {@link enabled} of its target, read from the key. */
  keyEnabled(keyRef: number): boolean {
    return this.#layers[keyRef & LAYER_MASK]!.index.targetEnabled(keyRef >>> LAYER_BITS);
  }

  /** The mailbox ref under exactly this key (extension not stripped), or -1. */
  mailboxRef(key: string): number {
    const k = this.findKey(key);
    return k >= 0 && this.keyKind(k) === KEY_MAILBOX ? this.keyTarget(k) : -1;
  }

  /** The mailbox ref owning the catch-all of an ASCII domain, or -1. */
  catchAllRef(asciiDomain: string): number {
    return this.#catchAlls.get(asciiDomain) ?? -1;
  }

  /** The packed layer a ref (key, mailbox or list) is in; its index there is `ref >>> LAYER_BITS`. */
  layerIndex(ref: number): PackedIndex {
    return this.#layers[ref & LAYER_MASK]!.index;
  }

  enabled(mailboxRef: number): boolean {
    return this.layerIndex(mailboxRef).enabled(mailboxRef >>> LAYER_BITS);
  }

  mailboxAddress(mailboxRef: number): string {
    return this.layerIndex(mailboxRef).mailboxAddress(mailboxRef >>> LAYER_BITS);
  }

  /** The whole mailbox behind a ref (made on each call). */
  mailboxAt(ref: number): Mailbox {
    return mailboxOf(this.layerIndex(ref), ref >>> LAYER_BITS);
  }

  /** The whole list behind a ref (made on each call). */
  listAt(ref: number): MailList {
    return listOf(this.layerIndex(ref), ref >>> LAYER_BITS);
  }

  /** The mailbox at exactly this key (extension not stripped). */
  mailbox(key: string): Mailbox | undefined {
    const ref = this.mailboxRef(key);
    return ref < 0 ? undefined : this.mailboxAt(ref);
  }

  /** The mailbox that owns this alias key. */
  aliasOwner(key: string): Mailbox | undefined {
    const k = this.findKey(key);
    return k >= 0 && this.keyKind(k) === KEY_ALIAS ? this.mailboxAt(this.keyTarget(k)) : undefined;
  }

  /** The list at this key. */
  list(key: string): MailList | undefined {
    const k = this.findKey(key);
    return k >= 0 && this.keyKind(k) === KEY_LIST ? this.listAt(this.keyTarget(k)) : undefined;
  }

  /** The owner of the catch-all for this ASCII domain. */
  catchAll(asciiDomain: string): Mailbox | undefined {
    const ref = this.catchAllRef(asciiDomain);
    return ref < 0 ? undefined : this.mailboxAt(ref);
  }

  /** Mailbox ref for a login name (its own address or one of its aliases, any case or IDN form), or -1. */
  loginRef(login: string): number {
    const parsed = parseAddress(login);
    if (!parsed) return -1;
    const k = this.findKey(addressKey(parsed));
    if (k < 0) return -1;
    const kind = this.keyKind(k);
    return kind === KEY_MAILBOX || kind === KEY_ALIAS ? this.keyTarget(k) : -1;
  }

  /** Mailbox for a login name: its own address or one of its aliases, any case or IDN form. */
  mailboxForLogin(login: string): Mailbox | undefined {
    const ref = this.loginRef(login);
    return ref < 0 ? undefined : this.mailboxAt(ref);
  }
}

export type { DirectoryData, ListEntry, MailboxEntry, RecordSet };
