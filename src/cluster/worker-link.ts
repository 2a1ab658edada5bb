import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { isClusterMessage, type ClusterMessage } from './messages.js';
import type { LockNames } from '../store/redis-lock.js';
import { roleFromEnv, type WorkerRole } from './roles.js';

/** How long a /metrics scrape waits for the primary (which waits up to 5 s for every worker). */
const METRICS_TIMEOUT_MS = 6000;

/** What the primary may ask of a worker. */
export interface PrimaryCommands {
  stop(): void;
  reload(): void;
}

/**
 * A worker's side of the cluster: its id and role, /metrics as the sum over all workers, the
 * primary's commands, and the report that the service has started.
 */
export class WorkerLink {
  /** node:cluster's worker id (1, 2, ...; a replacement gets a new one). */
  readonly id: number;
  /** What the primary forked this worker for: serving, syncing, or both (see {@link WorkerRole}). */
  readonly role: WorkerRole;
  /** Its sync lock's token prefix, and on a sync worker replacing a dead one, that one's (taken over at once). */
  readonly lock: LockNames;
  readonly #pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  #nextRequest = 1;
  #commands: PrimaryCommands | undefined;

  constructor() {
    if (!cluster.isWorker || !cluster.worker) throw new Error('WorkerLink outside a cluster worker');
    this.id = cluster.worker.id;
    ({ role: this.role, lock: this.lock } = roleFromEnv(process.env));
    process.on('message', (m: unknown) => {
      if (isClusterMessage(m)) this.#receive(m);
    });
  }

  /**
   * Offers this worker's registry to the primary's collection and returns what /metrics serves:
   * the text the primary sums over every worker (a scrape reaches one worker, but a counter that
   * counted only that worker's share would halve the rates a dashboard shows).
   */
  metricsOf(local: Registry): () => Promise<string> {
    AggregatorRegistry.setRegistries(local);
    // Constructing one installs prom-client's responder to the primary's collection requests.
    new AggregatorRegistry();
    return () => new Promise<string>((resolve, reject) => {
      const id = this.#nextRequest++;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`the primary did not answer a metrics request within ${METRICS_TIMEOUT_MS} ms`));
      }, METRICS_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      this.#send({ type: 'mailroster:metrics', id });
    });
  }

  /** Where the primary's stop and reload go. */
  onCommands(commands: PrimaryCommands): void {
    this.#commands = commands;
  }

  /** Tells the primary the service is up: an exit from now on is a crash it replaces. */
  started(): void {
    this.#send({ type: 'mailroster:started' });
  }

  #send(m: ClusterMessage): void {
    process.send?.(m);
  }

  #receive(m: ClusterMessage): void {
    switch (m.type) {
      case 'mailroster:metrics-reply': {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.text !== undefined) p.resolve(m.text);
        else p.reject(new Error(`the workers' metrics could not be collected: ${m.error ?? 'no reason given'}`));
        return;
      }
      case 'mailroster:stop':
        return this.#commands?.stop();
      case 'mailroster:reload':
        return this.#commands?.reload();
      default:
    }
  }
}
