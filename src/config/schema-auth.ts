import { parseEndpoint } from './formats.js';

/** convict schema for the HTTP auth endpoint that Dovecot 2.4's Lua passdb/userdb call. */
export const authSchema = {
  auth: {
    listen: {
      doc: 'Dovecot 2.4 auth endpoint (Lua passdb/userdb over HTTP) as host:port, loopback unless a host is given; empty disables it. It hands out password hashes: never the /metrics port',
      format: (v: unknown): void => {
        if (typeof v !== 'string') throw new Error('must be a string');
        // Dovecot's Lua HTTP client speaks TCP only.
        if (v !== '' && parseEndpoint(v).kind !== 'tcp') throw new Error('must be host:port (Dovecot\'s Lua HTTP client cannot use UNIX sockets)');
      },
      default: '',
      env: 'MAILROSTER_AUTH_LISTEN',
    },
    secret: {
      doc: 'Shared secret every auth request must carry (Authorization: Bearer); required when auth.listen is set, unless auth.secretFile is',
      format: String, default: '', env: 'MAILROSTER_AUTH_SECRET', sensitive: true,
    },
    secretFile: {
      doc: 'File holding the auth endpoint secret (wins over auth.secret); dovecot-config --out copies it for the Lua script',
      format: String, default: '', env: 'MAILROSTER_AUTH_SECRET_FILE',
    },
    maxHeaderBytes: {
      // Requests are a short GET line and four headers; 8 KiB leaves room for odd proxies.
      doc: 'Largest request head (request line and headers) accepted; a larger one is refused with 431 before it is buffered',
      format: 'nat', default: 8 * 1024, env: 'MAILROSTER_AUTH_MAX_HEADER_BYTES',
    },
    maxConnections: {
      // Dovecot keeps one connection per auth-worker process (auth_worker_max_count, 30 by default).
      doc: 'Most auth endpoint connections at once; more are refused', format: 'nat', default: 1000, env: 'MAILROSTER_AUTH_MAX_CONNECTIONS',
    },
  },
};
