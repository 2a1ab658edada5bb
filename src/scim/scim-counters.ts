/** SCIM and webhook counts as plain integers, read by the metrics registry when scraped. */
export class PushCounters {
  readonly #requests = new Map<string, number>();
  /** Resources changed by applied pushes (records written). */
  changes = 0;
  /** Webhook deliveries by outcome. */
  readonly hooks = new Map<string, number>();

  /** Counts one SCIM request by operation (`create_user`, `list_groups`...) and HTTP status. */
  request(operation: string, status: number): void {
    const key = `${operation}\t${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  /** Counts one webhook delivery. */
  hook(outcome: string): void {
    this.hooks.set(outcome, (this.hooks.get(outcome) ?? 0) + 1);
  }

  /** Request counts by operation and status. */
  requests(): { operation: string; status: string; count: number }[] {
    return [...this.#requests].map(([k, count]) => {
      const [operation, status] = k.split('\t') as [string, string];
      return { operation, status, count };
    });
  }
}
