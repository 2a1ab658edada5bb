import type { Directory } from '../directory/directory.js';
import { AddressResolver, type AddressRules } from '../directory/resolve.js';
import type { DirectorySource } from '../store/directory-source.js';

/**
 * Hands out an {@link AddressResolver} for the current snapshot, rebuilt only when the snapshot
 * changes, so the hot path allocates nothing per lookup.
 */
export class ResolverCache {
  readonly #source: DirectorySource;
  readonly #rules: AddressRules;
  #directory: Directory | undefined;
  #resolver: AddressResolver | undefined;

  constructor(source: DirectorySource, rules: AddressRules) {
    this.#source = source;
    this.#rules = rules;
  }

  /** The resolver for the current snapshot, or undefined when none is servable. */
  resolver(): AddressResolver | undefined {
    const dir = this.#source.current();
    if (dir === undefined) return undefined;
    if (dir !== this.#directory) {
      this.#directory = dir;
      this.#resolver = new AddressResolver(dir, this.#rules);
    }
    return this.#resolver;
  }

  /** The reason lookups cannot be answered now. */
  unavailableReason(): string {
    return this.#source.unavailableReason();
  }
}
