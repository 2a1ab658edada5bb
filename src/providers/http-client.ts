import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Logger } from 'pino';
import { Agent, request, type Dispatcher } from 'undici';
import { ProviderError } from './provider-error.js';

/** Options of the provider HTTP client. */
export interface HttpClientOptions {
  /** Provider name for messages (`authentik`, `keycloak`). */
  readonly provider: string;
  /** Base URL; request paths are resolved against it. */
  readonly baseUrl: string;
  /** Limit for one attempt, headers and body included. */
  readonly timeoutMs: number;
  /** Further attempts after a 429, a 5xx, a timeout or a network error. */
  readonly retries: number;
  /** PEM file with extra CA certificates to trust (besides the system roots); '' for none. */
  readonly caFile: string;
  /** Sends `Authorization: <value>`; called for every attempt so a renewed token is used. */
  readonly authorization?: (signal: AbortSignal) => Promise<string>;
  /** Called once per request on a 401, before a single retry (a cached token may have expired). */
  readonly onUnauthorized?: () => void;
  /** Names the permission a path needs, for 401/403 messages. */
  readonly permissionFor: (path: string) => string;
  readonly logger?: Logger;
  /** First backoff step; doubles per attempt. @default 250 */
  readonly retryBaseMs?: number;
  /** Cap for one wait, Retry-After included. @default 30000 */
  readonly maxRetryDelayMs?: number;
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** A request as the caller describes it. */
interface RequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Query;
  readonly form?: Record<string, string>;
  /** Skip the Authorization header (the token endpoint itself). */
  readonly anonymous?: boolean;
}

/** A failed attempt that may succeed if tried again, and how long the server asked us to wait. */
class Retryable {
  constructor(readonly error: ProviderError, readonly retryAfterMs?: number) {}
}

/**
 * JSON over HTTPS for identity-provider admin APIs. Every attempt has a timeout (headers and
 * body); 429, 5xx, timeouts and network errors are retried with exponential backoff and jitter,
 * honouring Retry-After; 401/403 become PROVIDER_AUTH naming the missing permission. Secrets are
 * never put in messages or logs: only method and path are.
 */
export class HttpClient {
  readonly #o: HttpClientOptions;
  readonly #agent: Agent;

  constructor(options: HttpClientOptions) {
    this.#o = options;
    // Node's global fetch takes no CA; an undici Agent does. The custom CA is added to the
    // system roots, not put in their place, so a public provider keeps working too.
    const ca = options.caFile === '' ? undefined : [...rootCertificates, readCa(options.caFile)];
    this.#agent = new Agent({
      connect: ca ? { ca } : {},
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  /** GETs `path` with `query` and returns the parsed JSON body. */
  getJson(path: string, query: Query, signal: AbortSignal): Promise<unknown> {
    return this.#withRetries({ method: 'GET', path, query }, signal);
  }

  /** POSTs a form (x-www-form-urlencoded) and returns the parsed JSON body. */
  postForm(path: string, form: Record<string, string>, signal: AbortSignal, anonymous = false): Promise<unknown> {
    return this.#withRetries({ method: 'POST', path, form, anonymous }, signal);
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #withRetries(spec: RequestSpec, signal: AbortSignal): Promise<unknown> {
    let refreshedAuth = false;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(spec, signal).catch((err: unknown) => err);
      if (!(outcome instanceof Retryable) && !(outcome instanceof ProviderError)) {
        // JSON.parse never yields an Error, so an Error here is an abort or a bug: rethrow it.
        if (outcome instanceof Error) throw outcome;
        return outcome;
      }
      if (outcome instanceof ProviderError) {
        // One retry on 401 with a fresh token: a cached token can expire between check and use.
        if (outcome.status === 401 && !refreshedAuth && this.#o.onUnauthorized) {
          refreshedAuth = true;
          this.#o.onUnauthorized();
          continue;
        }
        throw outcome;
      }
      if (attempt >= this.#o.retries) throw outcome.error;
      const delay = this.#delay(attempt, outcome.retryAfterMs);
      this.#o.logger?.warn({ method: spec.method, path: spec.path, attempt: attempt + 1, delayMs: delay, err: outcome.error.message }, 'provider request failed; retrying');
      await sleep(delay, signal);
    }
  }

  /** Exponential backoff with equal jitter; Retry-After wins when the server sent one. */
  #delay(attempt: number, retryAfterMs: number | undefined): number {
    const cap = this.#o.maxRetryDelayMs ?? 30_000;
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, cap);
    const step = Math.min((this.#o.retryBaseMs ?? 250) * 2 ** attempt, cap);
    return step / 2 + Math.random() * (step / 2);
  }

  /** One attempt: resolves with the JSON, rejects with ProviderError (final) or Retryable. */
  async #attempt(spec: RequestSpec, signal: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#o.timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    const where = `${spec.method} ${spec.path}`;
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (!spec.anonymous && this.#o.authorization) headers.authorization = await this.#o.authorization(both);
      let body: string | undefined;
      if (spec.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(spec.form).toString();
      }
      const res = await request(this.#url(spec), { method: spec.method, headers, body, signal: both, dispatcher: this.#agent });
      const text = await res.body.text();
      return this.#interpret(res, text, where);
    } catch (err) {
      if (err instanceof Retryable || err instanceof ProviderError) throw err;
      if (signal.aborted) throw signal.reason ?? err;
      if (timeout.aborted || isTimeout(err)) {
        throw new Retryable(new ProviderError('PROVIDER_TIMEOUT', `${this.#o.provider}: ${where}: no answer within ${this.#o.timeoutMs} ms`, { cause: err }));
      }
      throw new Retryable(new ProviderError('PROVIDER_HTTP', `${this.#o.provider}: ${where}: ${(err as Error).message}`, { cause: err }));
    }
  }

  #interpret(res: Dispatcher.ResponseData, text: string, where: string): unknown {
    const status = res.statusCode;
    const name = this.#o.provider;
    if (status === 401 || status === 403) {
      const why = status === 401 ? 'credentials were rejected' : 'permission denied';
      const said = snippet(text);
      throw new ProviderError('PROVIDER_AUTH', `${name}: ${where}: ${status} ${why}; ${this.#o.permissionFor(pathOf(where))}${said === '' ? '' : ` (the server said: ${said})`}`, { status });
    }
    if (status === 429 || status >= 500) {
      const err = new ProviderError('PROVIDER_HTTP', `${name}: ${where}: HTTP ${status} ${snippet(text)}`, { status });
      throw new Retryable(err, parseRetryAfter(res.headers['retry-after']));
    }
    if (status < 200 || status >= 300) {
      throw new ProviderError('PROVIDER_HTTP', `${name}: ${where}: HTTP ${status} ${snippet(text)}`, { status });
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ProviderError('PROVIDER_BAD_RESPONSE', `${name}: ${where}: body is not JSON: ${snippet(text)}`, { cause: err, status });
    }
  }

  #url(spec: RequestSpec): URL {
    const base = this.#o.baseUrl.endsWith('/') ? this.#o.baseUrl : `${this.#o.baseUrl}/`;
    const url = new URL(spec.path.replace(/^\//, ''), base);
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(v));
    }
    return url;
  }
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProviderError('PROVIDER_CONFIG', `provider.http.caFile: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(raw: string | string[] | undefined): number | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string; name?: string })?.code;
  const name = (err as { name?: string })?.name;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || name === 'TimeoutError';
}

function pathOf(where: string): string {
  return where.slice(where.indexOf(' ') + 1);
}

/** The start of an error body, for the message; bodies of admin APIs hold no secrets. */
function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}...` : oneLine;
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = (): void => { signal.removeEventListener('abort', onAbort); resolve(); };
    const timer = setTimeout(done, ms);
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
