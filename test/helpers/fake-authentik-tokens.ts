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
  /** OAuth2 access tokens -> the e-mail claim their introspection reports (active while listed). */
  readonly accessTokens = new Map<string, string>();
  /** The OAuth2 client allowed to introspect (the webmail's provider client). */
  readonly oauthClient = { id: 'roundcube', secret: 'roundcube-secret' };

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

  /**
   * RFC 7662 introspection as Authentik's /application/o/introspect/ answers it: client
   * credentials in the form body or Basic auth, else 401; `{"active": false}` for an unknown token.
   */
  introspect(req: SeenRequest): RouteReply | undefined {
    if (req.path !== '/application/o/introspect/') return undefined;
    if (req.method !== 'POST') return { status: 405, body: { detail: 'Method not allowed' } };
    const form = new URLSearchParams(req.body);
    const basic = req.authorization?.startsWith('Basic ') ? Buffer.from(req.authorization.slice(6), 'base64').toString().split(':') : [];
    const id = form.get('client_id') || basic[0];
    const secret = form.get('client_secret') || basic[1];
    if (id !== this.oauthClient.id || secret !== this.oauthClient.secret) return { status: 401, body: { error: 'invalid_client' } };
    const email = this.accessTokens.get(form.get('token') ?? '');
    if (email === undefined) return { status: 200, body: { active: false } };
    return { status: 200, body: { active: true, client_id: id, sub: `sub-${email}`, email, email_verified: true, scope: 'openid email profile' } };
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
