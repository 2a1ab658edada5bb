import { stringify } from 'yaml';
import { DMS_AUTH_PORT, DMS_HTTP_PORT, DMS_SOCKETMAP_PORT, DMS_VMAIL_ID, dictSocket, socketmapSocket, type DmsLayout } from './dms-layout.js';

/**
 * The container recipe as data, so the Dockerfile and the test suite run the same steps: install
 * the `npm pack` tarball into a fresh prefix, start `mailroster serve` with a mounted config, and
 * probe it with the same healthcheck command.
 */
export const CONTAINER = {
  baseImage: 'node:20-bookworm-slim',
  prefix: '/opt/mailroster',
  configFile: '/etc/mailroster/config.yaml',
  directoryFile: '/etc/mailroster/directory.yaml',
  authSecretFile: '/etc/mailroster/auth-secret',
  /** Fixed ids, so mounted secrets and the socket volume can be given to this user. */
  uid: 10027,
  user: 'mailroster',
} as const;

/** `npm install` of the packed tarball into `prefix` (no dev dependencies, no build step). */
export function installArgs(prefix: string, tarball: string): string[] {
  return ['npm', 'install', '--global', '--omit=dev', '--no-audit', '--no-fund', '--prefix', prefix, tarball];
}

/** The container's command: `mailroster --config FILE serve`. */
export function serveArgs(configFile: string): string[] {
  return ['mailroster', '--config', configFile, 'serve'];
}

// Node 20 has fetch built in: no curl or wget in the slim image. Exit 0 only on 200.
const PROBE = 'fetch(process.argv[1],{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))';

/** The path the healthcheck asks: /readyz, 200 once a complete directory is loaded and every listener is up. */
export const HEALTH_PATH = '/readyz';

/** The HEALTHCHECK command: GET http://127.0.0.1:PORT/readyz through Node's fetch. */
export function healthcheckArgs(httpListen: string): string[] {
  return ['node', '-e', PROBE, `http://${httpListen}${HEALTH_PATH}`];
}

const json = (args: string[]): string => JSON.stringify(args);

/** The Dockerfile; its build context is a folder holding `mailroster-*.tgz` from `npm pack`. */
export function renderDockerfile(): string {
  const c = CONTAINER;
  return `# mailroster next to docker-mailserver. Build context: this folder with the tarball of
#   npm pack --pack-destination <this folder>      (run in a mailroster checkout)
FROM ${c.baseImage}
COPY mailroster-*.tgz /tmp/
RUN ${installArgs(c.prefix, '/tmp/mailroster-*.tgz').join(' ')} \\
 && rm /tmp/mailroster-*.tgz \\
 && groupadd --system --gid ${c.uid} ${c.user} \\
 && useradd --system --uid ${c.uid} --gid ${c.user} --no-create-home --shell /usr/sbin/nologin ${c.user} \\
 && install -d -o ${c.user} -g ${c.user} -m 0755 /run/mailroster
# A fixed glibc mmap threshold gives back what a directory load freed (see README, Performance).
ENV PATH=${c.prefix}/bin:$PATH NODE_ENV=production MALLOC_MMAP_THRESHOLD_=131072
# Config and directory file are mounted (read-only) at /etc/mailroster; secrets as files, named by
# the ...File keys (e.g. provider.keycloak.clientSecretFile: /run/secrets/keycloak-client-secret).
USER ${c.user}
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \\
  CMD ${json(healthcheckArgs(`127.0.0.1:${DMS_HTTP_PORT}`))}
CMD ${json(serveArgs(c.configFile))}
`;
}

/** What differs between the recipe's config and the one the tests run. */
export interface ContainerConfigOptions {
  readonly storeUrl: string;
  readonly httpListen: string;
  readonly directoryFile: string;
  /** edge: where the auth endpoint listens (inside the container: all interfaces, for DMS). */
  readonly authListen?: string;
  /** edge: the file holding the auth endpoint's secret. */
  readonly authSecretFile?: string;
}

/** mailroster's own config for the DMS layout (mounted at /etc/mailroster/config.yaml). */
export function containerConfig(layout: DmsLayout, options: ContainerConfigOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {
    // unix: 0666 on sockets inside a volume only mailroster and DMS mount. DMS's postfix and
    // dovecot users have ids of their own image, which no group here could name.
    socketmap: layout.transport === 'unix'
      ? { listen: [socketmapSocket(layout)], socketMode: '0666' }
      : { listen: [`0.0.0.0:${DMS_SOCKETMAP_PORT}`] },
    http: { listen: options.httpListen },
    store: { url: options.storeUrl },
    provider: { type: 'file', file: { path: options.directoryFile } },
  };
  if (layout.version === 'edge') {
    // Hands out password hashes: reachable by DMS over the compose network, guarded by the secret.
    config.auth = { listen: options.authListen ?? `0.0.0.0:${DMS_AUTH_PORT}`, secretFile: options.authSecretFile ?? CONTAINER.authSecretFile };
  }
  config.dict = {
    ...(layout.version === '15' ? { listen: [dictSocket(layout)], socketMode: '0666' } : {}),
    // DMS's dovecot.cf overrides uid, gid and home anyway; the same values here keep doveadm honest.
    userdb: { uid: String(DMS_VMAIL_ID), gid: String(DMS_VMAIL_ID), home: `${layout.mailRoot}/%d/%n/home/`, mail: '' },
  };
  return config;
}

/** The YAML text of {@link containerConfig}. */
export function renderContainerConfig(layout: DmsLayout, options: ContainerConfigOptions): string {
  return `# mailroster for docker-mailserver ${layout.version} (generated by mailroster dms-config).
# Replace provider: with your identity provider (README "Identity providers"); secrets as files.
${stringify(containerConfig(layout, options))}`;
}

/** compose.yaml: Redis, then mailroster (once Redis is healthy), then DMS (once mailroster is). */
export function renderCompose(layout: DmsLayout): string {
  const image = `ghcr.io/docker-mailserver/docker-mailserver:${layout.version === '15' ? '15' : 'edge'}`;
  // The socket volume: for the socketmap with unix, and always on v15 (Dovecot 2.3's dict client has no TCP).
  const unix = layout.transport === 'unix' || layout.version === '15';
  return `# docker-mailserver + mailroster + Redis (generated by mailroster dms-config --container).
# Before the first start: npm pack --pack-destination mailroster/   (in a mailroster checkout)
services:
  redis:
    image: redis:7-bookworm
    command: ["redis-server", "--appendonly", "yes"]
    volumes: [redis-data:/data]
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 5s
      timeout: 3s
      retries: 10
    restart: unless-stopped

  mailroster:
    build: ./mailroster
    # The Dockerfile's HEALTHCHECK reports healthy once the directory is loaded.
    depends_on:
      redis: { condition: service_healthy }
    volumes:
      # The folder, not single files: the file provider sees a directory.yaml replaced by rename.
      - ./mailroster/etc/:/etc/mailroster/:ro${unix ? '\n      - mailroster-run:/run/mailroster' : ''}
    # secrets: [keycloak-client-secret]
    restart: unless-stopped

  mailserver:
    image: ${image}
    hostname: mail.example.com
    # DMS starts only after mailroster answers: no mail deferred, no login refused at start.
    depends_on:
      mailroster: { condition: service_healthy }
    ports: ["25:25", "465:465", "587:587", "993:993"]
    environment:
      ACCOUNT_PROVISIONER: FILE   # with the placeholder account in postfix-accounts.cf
      SPOOF_PROTECTION: 1         # senders checked against mailroster's senders map
      ENABLE_QUOTAS: 1            # per-user quotas from mailroster's userdb
    volumes:
      - ./docker-data/dms/mail-data/:/var/mail/
      - ./docker-data/dms/mail-state/:/var/mail-state/
      - ./docker-data/dms/mail-logs/:/var/log/mail/
      - ./docker-data/dms/config/:${layout.configDir}/
      - /etc/localtime:/etc/localtime:ro${unix ? '\n      - mailroster-run:/run/mailroster' : ''}
    restart: unless-stopped

volumes:
  redis-data:${unix ? '\n  mailroster-run:' : ''}

# secrets:
#   keycloak-client-secret:
#     file: ./secrets/keycloak-client-secret
`;
}
