import { parseEndpoint } from './formats.js';

/** convict schema for logging, the serving processes, the socketmap listener and the address rules. */
export const serverSchema = {
  log: {
    level: {
      doc: 'pino log level',
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      env: 'MAILROSTER_LOG_LEVEL',
    },
  },
  workers: {
    // Each worker holds its own copy of the directory, so memory grows with the count; the
    // Redis store is what keeps the copies one directory (config.ts refuses memory: with more).
    doc: 'Processes serving lookups: 1 serves in this process; more fork that many workers that share every listener (node:cluster) and each follow the Redis store (store.url must be Redis), and for a pulled provider one sync worker that leads',
    format: 'positive-int', default: 1, env: 'MAILROSTER_WORKERS',
  },
  socketmap: {
    listen: {
      doc: 'Postfix socketmap endpoints: host:port (loopback unless a host is given) or absolute UNIX socket paths',
      format: 'endpoint-list',
      default: ['127.0.0.1:10027'],
      env: 'MAILROSTER_SOCKETMAP_LISTEN',
    },
    socketMode: { doc: 'File mode of socketmap UNIX sockets', format: 'file-mode', default: '0660', env: 'MAILROSTER_SOCKETMAP_SOCKET_MODE' },
    socketOwner: { doc: 'Owner (name or uid) of socketmap UNIX sockets; empty keeps the process user', format: String, default: '', env: 'MAILROSTER_SOCKETMAP_SOCKET_OWNER' },
    socketGroup: { doc: 'Group (name or gid) of socketmap UNIX sockets, e.g. postfix; empty keeps the process group', format: String, default: '', env: 'MAILROSTER_SOCKETMAP_SOCKET_GROUP' },
    maxRequestBytes: {
      // socketmap_table(5) caps replies at 100000 bytes; we apply the same cap to requests.
      doc: 'Largest socketmap request accepted; a longer length prefix closes the connection before any payload is read',
      format: 'nat', default: 100_000, env: 'MAILROSTER_SOCKETMAP_MAX_REQUEST_BYTES',
    },
    idleTimeoutMs: {
      // Postfix closes idle connections itself after 10 s and keeps busy ones for a whole SMTP
      // session (observed 123 s), so we only reap connections that are clearly abandoned.
      doc: 'Close a socketmap connection after this long without a request (ms)',
      format: 'nat', default: 300_000, env: 'MAILROSTER_SOCKETMAP_IDLE_TIMEOUT_MS',
    },
    requestTimeoutMs: {
      // Postfix writes each request in one piece; a request trickling in byte by byte (slowloris)
      // would otherwise hold its connection forever, as every byte resets the idle timeout.
      doc: 'Close a socketmap connection whose started request is not complete within this long (ms); 0 disables',
      format: 'nat', default: 10_000, env: 'MAILROSTER_SOCKETMAP_REQUEST_TIMEOUT_MS',
    },
    maxConnections: {
      // About one connection per Postfix process: default_process_limit is 100 per service.
      doc: 'Most socketmap connections at once, all endpoints together; more are refused', format: 'nat', default: 1000, env: 'MAILROSTER_SOCKETMAP_MAX_CONNECTIONS',
    },
  },
  http: {
    listen: {
      doc: 'Operations endpoint (/healthz, /readyz, /status, /metrics; /scim/v2 and /hooks/authentik when configured) as host:port, loopback unless a host is given; empty disables it',
      format: (v: unknown): void => {
        if (typeof v !== 'string') throw new Error('must be a string');
        if (v !== '') parseEndpoint(v);
      },
      default: '',
      env: 'MAILROSTER_HTTP_LISTEN',
    },
  },
  addresses: {
    recipientDelimiter: {
      doc: 'Postfix recipient_delimiter: each character separates an address extension (user+tag); empty disables',
      format: String, default: '+', env: 'MAILROSTER_ADDRESSES_RECIPIENT_DELIMITER',
    },
    propagateExtension: {
      doc: 'Append an unmatched extension to hosted alias targets (sales+x -> alice+x), like propagate_unmatched_extensions',
      format: Boolean, default: true, env: 'MAILROSTER_ADDRESSES_PROPAGATE_EXTENSION',
    },
    acceptDisabled: {
      doc: 'Keep accepting mail for disabled mailboxes (logins stay refused); by default they do not exist for Postfix',
      format: Boolean, default: false, env: 'MAILROSTER_ADDRESSES_ACCEPT_DISABLED',
    },
  },
};
