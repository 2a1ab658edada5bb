import type { Writable } from 'node:stream';
import { readSecret, type AppConfig } from '../config/config.js';
import { formatEndpoint, parseEndpoint } from '../config/formats.js';
import { CONFIRM_PATH } from './confirm-route.js';

/**
 * `mailroster sync --confirm-deletions`: asks the running server (http.listen, bearer scim.token)
 * to apply the SCIM removals the mass-removal guard holds. Exit 0 applied, 1 failed, 64 usage.
 */
export async function confirmDeletionsCommand(config: AppConfig, io: { out: Writable; err: Writable }): Promise<number> {
  if (config.provider.type !== 'scim' || config.http.listen === '') {
    io.err.write('mailroster sync --confirm-deletions: needs provider.type=scim and http.listen (the running server is asked)\n');
    return 64;
  }
  const ep = parseEndpoint(config.http.listen);
  const host = ep.kind === 'tcp' && (ep.host === '0.0.0.0' || ep.host === '::') ? { ...ep, host: '127.0.0.1' } : ep;
  const url = `http://${formatEndpoint(host)}${CONFIRM_PATH}`;
  const token = readSecret(config.scim.token, config.scim.tokenFile, 'scim.tokenFile');
  try {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { applied?: number; error?: string };
    if (!res.ok) {
      io.err.write(`confirm-deletions failed (${res.status}): ${body.error ?? 'unknown error'}\n`);
      return 1;
    }
    io.out.write(`applied ${body.applied ?? 0} held removal(s); the deletion window starts afresh\n`);
    return 0;
  } catch (err) {
    io.err.write(`confirm-deletions: cannot reach the server at ${url}: ${(err as Error).message}\n`);
    return 1;
  }
}
