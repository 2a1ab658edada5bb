import type { Logger } from 'pino';

/** Whether one optional capability of the provider is in use, and why not. */
export interface FeatureState {
  readonly on: boolean;
  /** Why it is off (or on in a reduced way), in words an operator can act on. */
  readonly reason?: string;
}

/** What a provider found out about its server, shown on `/status` under `provider`. */
export interface ProviderStatus {
  readonly name: string;
  /** Capabilities detected or configured: `changeFeed`, `userEvents`, `selfServiceCheck`, ... */
  readonly features: Readonly<Record<string, FeatureState>>;
  /** Counts of the last full sync (mailboxes, users skipped and why). */
  readonly lastSync?: Readonly<Record<string, number>>;
}

/**
 * The optional capabilities of one provider. A capability that turns off (or back on) is logged
 * once per change, not at every poll, and its state is what `/status` shows.
 */
export class ProviderFeatures {
  readonly #name: string;
  readonly #logger: Logger | undefined;
  readonly #state = new Map<string, FeatureState>();
  #lastSync: Record<string, number> | undefined;

  constructor(name: string, logger: Logger | undefined) {
    this.#name = name;
    this.#logger = logger;
  }

  /** Marks `feature` usable; logs when it was off before. */
  on(feature: string, reason?: string): void {
    this.#set(feature, { on: true, ...(reason !== undefined && { reason }) });
  }

  /** Marks `feature` off for `reason`; logged (at info) the first time only. */
  off(feature: string, reason: string): void {
    this.#set(feature, { on: false, reason });
  }

  /** Whether `feature` is on; undefined until it was probed. */
  enabled(feature: string): boolean | undefined {
    return this.#state.get(feature)?.on;
  }

  /** Keeps the counts of the last full sync for `/status`. */
  recordSync(counts: Readonly<Record<string, number>>): void {
    this.#lastSync = { ...counts };
  }

  /** The status as `/status` shows it. */
  snapshot(): ProviderStatus {
    return {
      name: this.#name,
      features: Object.fromEntries(this.#state),
      ...(this.#lastSync && { lastSync: this.#lastSync }),
    };
  }

  #set(feature: string, next: FeatureState): void {
    const before = this.#state.get(feature);
    this.#state.set(feature, next);
    if (before?.on === next.on && before.reason === next.reason) return;
    if (!next.on) this.#logger?.info({ feature, reason: next.reason }, `${this.#name}: ${feature} is off: ${next.reason}`);
    else if (before !== undefined || next.reason !== undefined) this.#logger?.info({ feature, reason: next.reason }, `${this.#name}: ${feature} is on`);
  }
}
