import { accessSync, constants, statSync } from 'node:fs';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { formatEndpoint, type Endpoint } from '../config/formats.js';
import { EXIT, StartupError } from '../errors.js';

/** Why a bind failed, in words an operator acts on, and the sysexits code for it. */
const BIND_ERRORS: Readonly<Record<string, readonly [string, number]>> = {
  EADDRINUSE: ['address already in use (another process listens there)', EXIT.UNAVAILABLE],
  EADDRNOTAVAIL: ['address not available on this host', EXIT.UNAVAILABLE],
  ENOENT: ['the folder does not exist', EXIT.CANTCREAT],
  ENOTDIR: ['a part of the path is not a folder', EXIT.CANTCREAT],
  EACCES: ['permission denied (the folder must be writable by this user)', EXIT.NOPERM],
  EPERM: ['permission denied', EXIT.NOPERM],
  EROFS: ['read-only file system', EXIT.CANTCREAT],
};

/** True for addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  return /^127\./.test(host) || host === '::1' || host === 'localhost' || host === '::ffff:127.0.0.1';
}

/**
 * Binds `server` to `ep`. A failure becomes one {@link StartupError} line naming the config key,
 * the endpoint and the cause. A UNIX socket is created with `socketMode` from the first moment:
 * the umask is narrowed around listen() (which creates the file synchronously), so there is no
 * window in which a wider mode lets others connect. A TCP endpoint off loopback is warned about.
 */
export async function bindServer(server: Server, ep: Endpoint, key: string, logger: Logger, socketMode?: number): Promise<void> {
  try {
    if (ep.kind === 'unix') checkSocketFolder(ep.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (ep.kind === 'unix') {
        const previous = process.umask(0o777 & ~(socketMode ?? 0o660));
        try {
          server.listen(ep.path, resolve);
        } finally {
          process.umask(previous);
        }
      } else {
        server.listen(ep.port, ep.host, resolve);
      }
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const [why, exit] = BIND_ERRORS[code] ?? [(err as Error).message, EXIT.OSERR];
    throw new StartupError(`${key}: cannot listen on ${formatEndpoint(ep)}: ${why}${code ? ` (${code})` : ''}`, exit, { cause: err });
  }
  if (ep.kind === 'tcp' && !isLoopback(ep.host)) {
    logger.warn({ key, endpoint: formatEndpoint(ep) }, `${key} listens on ${formatEndpoint(ep)}, which is not loopback: anyone who can reach it can query the directory; restrict it with a firewall`);
  }
}

/** libuv reports a missing socket folder as EACCES; look first, so the cause is named right. */
function checkSocketFolder(path: string): void {
  const folder = dirname(path);
  const fail = (code: string): never => {
    throw Object.assign(new Error(`${code} ${folder}`), { code });
  };
  let st;
  try {
    st = statSync(folder);
  } catch {
    return fail('ENOENT');
  }
  if (!st.isDirectory()) fail('ENOTDIR');
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch {
    fail('EACCES');
  }
}
