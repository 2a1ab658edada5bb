/**
 * Runs async tasks one at a time, in order. A named task that is already waiting is not queued
 * twice: a burst of notifications becomes one refresh.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  readonly #waiting = new Map<string, Promise<unknown>>();

  /** Queues `task` behind everything queued so far. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    // Not the result itself: the tail lives until the next task, and a sync's outcome holds its diff.
    this.#tail = result.then(() => undefined, () => undefined);
    return result;
  }

  /** Like {@link run}, unless a task with this name is queued and has not started yet. */
  coalesce<T>(name: string, task: () => Promise<T>): Promise<T> {
    const pending = this.#waiting.get(name) as Promise<T> | undefined;
    if (pending) return pending;
    const result = this.run(() => (this.#waiting.delete(name), task()));
    this.#waiting.set(name, result);
    return result;
  }

  /** Resolves once everything queued so far has finished. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}
