/**
 * What the primary and its workers say to each other over the IPC channel node:cluster opens.
 * Every message has a `type` in the `mailroster:` namespace, so prom-client's own metric requests
 * (which travel on the same channel) never match one of ours.
 */
export type ClusterMessage =
  /** Worker to primary: the service is started (listeners bound); a later exit is a crash, not a failed start. */
  | { readonly type: 'mailroster:started' }
  /** Worker to primary: a /metrics scrape arrived; answer with every worker's figures summed. */
  | { readonly type: 'mailroster:metrics'; readonly id: number }
  /** Primary to worker: the answer to a metrics request. */
  | { readonly type: 'mailroster:metrics-reply'; readonly id: number; readonly text?: string; readonly error?: string }
  /** Primary to worker: stop gracefully (the primary got SIGTERM or SIGINT). */
  | { readonly type: 'mailroster:stop' }
  /** Primary to worker: reload the configuration (the primary got SIGHUP). */
  | { readonly type: 'mailroster:reload' };

/** True for a message of ours (anything else on the channel is someone else's). */
export function isClusterMessage(m: unknown): m is ClusterMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('mailroster:');
}
