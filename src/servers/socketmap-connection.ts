import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { encodeNetstring, NetstringDecoder } from '../../protocol/netstring.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { formatSocketmapReply, parseSocketmapRequest, type SocketmapReply } from '../../protocol/socketmap.js';
import { lookupSocketmap } from '../lookup/socketmap-lookup.js';
import type { LookupCounters } from '../ops/lookup-counters.js';
import type { ResolverCache } from '../lookup/resolver-cache.js';
import { INTERNAL_ERROR_REPLY, toSocketmapReply } from './replies.js';

/** Per-connection settings of the socketmap server. */
export interface SocketmapConnectionOptions {
  readonly resolvers: ResolverCache;
  readonly maxRequestBytes: number;
  readonly idleTimeoutMs: number;
  readonly counters: LookupCounters;
}

/**
 * One Postfix connection. Postfix sends one request and waits for its reply (strict lockstep), but
 * we accept pipelined frames anyway; lookups are synchronous over an in-memory snapshot, so replies
 * leave in request order. Malformed input closes this connection only.
 */
export function serveSocketmap(socket: Socket, log: Logger, options: SocketmapConnectionOptions): void {
  const decoder = new NetstringDecoder(options.maxRequestBytes);
  let requests = 0;
  socket.setNoDelay(true);
  socket.setTimeout(options.idleTimeoutMs, () => {
    log.debug({ requests }, 'idle timeout');
    socket.end();
  });
  socket.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      log.warn({ code: err.code, reason: err.message }, 'malformed socketmap input; closing connection');
      options.counters.protocolError('socketmap', err.code);
      socket.destroy();
      return;
    }
    const out: Buffer[] = [];
    for (const frame of frames) {
      requests++;
      let reply: SocketmapReply;
      try {
        const { name, key } = parseSocketmapRequest(frame);
        reply = answer(name, key, options, log);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        log.warn({ code: err.code, reason: err.message }, 'malformed socketmap request; closing connection');
        options.counters.protocolError('socketmap', err.code);
        if (out.length > 0) socket.write(Buffer.concat(out));
        socket.destroy();
        return;
      }
      const { payload, oversize } = formatSocketmapReply(reply);
      if (oversize) log.warn({ bytes: reply.status === 'OK' ? reply.data.length : 0 }, 'reply over the socketmap limit; answered TEMP');
      out.push(encodeNetstring(payload));
    }
    if (out.length === 1) socket.write(out[0]!);
    else if (out.length > 1) socket.write(Buffer.concat(out));
  });
  socket.on('end', () => {
    if (!decoder.idle) log.warn({ requests }, 'connection closed in the middle of a request');
    socket.end();
  });
}

function answer(name: string, key: string, options: SocketmapConnectionOptions, log: Logger): SocketmapReply {
  try {
    const result = lookupSocketmap(options.resolvers, name, key);
    options.counters.lookup('socketmap', result.kind === 'unknown-map' ? '(unknown)' : name, result.kind);
    const reply = toSocketmapReply(result);
    if (log.isLevelEnabled('debug')) log.debug({ map: name, key, status: reply.status }, 'lookup');
    return reply;
  } catch (err) {
    log.error({ err, map: name }, 'lookup failed');
    return INTERNAL_ERROR_REPLY;
  }
}
