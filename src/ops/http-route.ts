import type { IncomingMessage, ServerResponse } from 'node:http';

/** A part of the HTTP surface mounted on the operations listener (SCIM, webhooks). */
export interface HttpRoute {
  /** Whether this route serves `path` (the URL path without the query). */
  matches(path: string): boolean;
  /** Answers the request; must always end the response. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}
