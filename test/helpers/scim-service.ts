import { join } from 'node:path';
import type { Logger } from 'pino';
import { createService, type Service } from '../../src/index.js';
import { dictClient, HELLO_23, type DictClient } from './dict-client.js';
import { captureLogger, testConfig } from './service.js';
import { socketmapClient, type SocketmapClient } from './socketmap-client.js';
import { tempDir } from './temp.js';

/** The bearer token the SCIM tests use. */
export const SCIM_TOKEN = 'test-scim-token-0123456789';

/** One HTTP answer: status, headers and the parsed JSON body (undefined when empty). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

/** A SCIM client for one base URL: real HTTP, JSON in and out. */
export interface ScimClient {
  readonly base: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
}

/** A SCIM client on `http://host:port/scim/v2` with the test token (or `token`). */
export function scimClient(origin: string, token: string = SCIM_TOKEN): ScimClient {
  const base = `${origin}/scim/v2`;
  return {
    base,
    async request(method, path, body, headers = {}) {
      const res = await fetch(`${path.startsWith('/scim') || path.startsWith('/admin') || path.startsWith('/hooks') ? origin : base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/scim+json' }), ...headers },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
    },
  };
}

/** A running SCIM service (provider.type=scim) with socketmap and dict clients connected to it. */
export interface ScimNode {
  readonly service: Service;
  readonly scim: ScimClient;
  readonly origin: string;
  readonly logs: () => Record<string, unknown>[];
  /** Socketmap answer payload (`OK x`, `NOTFOUND `, `TEMP ...`). */
  socketmap(map: string, key: string): Promise<string>;
  /** Dict lookup reply line for `shared/<key>` (`O...`, `N`, `F...`). */
  dict(key: string): Promise<string>;
  stop(): Promise<void>;
}

/** Config of a SCIM node: example.com and example.org hosted, everything on loopback port 0. */
export function scimConfig(dictSocket: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: { type: 'scim', domains: ['example.com', 'example.org'] },
    scim: { token: SCIM_TOKEN, ...(overrides.scim as object) },
    http: { listen: '127.0.0.1:0' },
    dict: { listen: [dictSocket] },
    ...Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== 'scim')),
  };
}

/** Starts a SCIM service; `overrides` go over {@link scimConfig} (e.g. a Redis store). */
export async function startScimNode(overrides: Record<string, unknown> = {}, logger?: Logger): Promise<ScimNode> {
  const tmp = tempDir('mailroster-scim-');
  const captured = captureLogger();
  const service = createService(testConfig(scimConfig(join(tmp.path, 'dict.sock'), overrides)), { logger: logger ?? captured.logger });
  await service.start();
  const addr = service.http.address!;
  const origin = `http://${addr.kind === 'tcp' ? `${addr.host}:${addr.port}` : 'localhost'}`;
  let sm: SocketmapClient | undefined;
  let dc: DictClient | undefined;
  return {
    service, origin, scim: scimClient(origin), logs: captured.lines,
    socketmap: async (map, key) => {
      sm ??= await socketmapClient(service.socketmap.addresses[0]!);
      return sm.query(map, key);
    },
    dict: async (key) => {
      if (!dc) {
        dc = await dictClient(join(tmp.path, 'dict.sock'));
        dc.write(HELLO_23);
      }
      dc.write(`Lshared/${key}\t\n`);
      return dc.next();
    },
    stop: async () => {
      sm?.close();
      dc?.close();
      await service.stop();
      tmp.remove();
    },
  };
}
