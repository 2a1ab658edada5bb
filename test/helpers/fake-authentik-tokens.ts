import { randomBytes, randomUUID } from 'node:crypto';
import type { RouteReply, SeenRequest } from './fake-idp.js';

/** An Authentik token as /api/v3/core/tokens/ lists it (client-go docs/Token.md): never the key. */
export interface AkToken {
  pk: string;
  managed: string | null;
  identifier: string;
  intent: 'verification' | 'api' | 'recovery' | 'app_password';
  user: number;
  description: string;
  /** DRF renders microseconds: `2026-12-01T10:00:00.123456Z`. */
  expires: string | null;
  expiring: boolean;
}

/** Global permissions of the API token's user that the token endpoints check. */
export type TokenPermission = 'view_token' | 'view_token_key';

/**
 * Authentik's token API as the real server answers it (core/api/tokens.py): the listing filters
 * by `intent`, pages like every listing, and shows only the caller's own tokens (no error) without
 * the global view_token permission; `view_key` answers `{"key": ...}`, needs view_token_key (403
 * otherwise), and writes a SECRET_VIEW event for every call.
 */
export class FakeAuthentikTokens {
  readonly tokens: (AkToken & { key: string })[] = [];
  /** SECRET_VIEW events, one per key read: `{identifier}`. */
  readonly secretViews: string[] = [];
  permissions = new Set<TokenPermission>(['view_token', 'view_token_key']);
  /** pk of the API token's own user (a service account in real set-ups). */
  apiUserPk = -1;

  /** Adds a token of `user`; Authentik generates 128 random letters and digits as the key. */
  add(user: number, identifier: string, fields: Partial<AkToken> = {}): AkToken & { key: string } {
    const key = randomBytes(96).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 128);
    const token = {
      pk: randomUUID(), managed: null, identifier, intent: 'app_password' as const, user, description: '',
      expires: null, expiring: false, key, ...fields,
    };
    this.tokens.push(token);
    return token;
  }

  /** Deletes a token by identifier. */
  remove(identifier: string): void {
    this.tokens.splice(this.tokens.findIndex((t) => t.identifier === identifier), 1);
  }

  /** The reply for a token route, or undefined for any other path. */
  route(req: SeenRequest, paginate: (items: readonly unknown[], q: URLSearchParams) => RouteReply, userObj: (pk: number) => unknown): RouteReply | undefined {
    if (req.path === '/api/v3/core/tokens/') {
      const intent = req.query.get('intent');
      const visible = this.tokens
        .filter((t) => (intent === null || t.intent === intent) && (this.permissions.has('view_token') || t.user === this.apiUserPk))
        .sort((a, b) => (a.identifier < b.identifier ? -1 : 1))
        .map(({ key: _key, ...t }) => ({ ...t, user_obj: userObj(t.user) }));
      return paginate(visible, req.query);
    }
    const m = /^\/api\/v3\/core\/tokens\/([^/]+)\/view_key\/$/.exec(req.path);
    if (!m) return undefined;
    const token = this.tokens.find((t) => t.identifier === decodeURIComponent(m[1]!));
    if (!token) return { status: 404, body: { detail: 'No Token matches the given query.' } };
    if (!this.permissions.has('view_token_key')) return { status: 403, body: { detail: 'You do not have permission to perform this action.' } };
    this.secretViews.push(token.identifier);
    return { status: 200, body: { key: token.key } };
  }
}
