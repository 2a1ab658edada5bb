import { readSecret, type AppConfig } from './config/config.js';
import { ConfigError } from './errors.js';

/**
 * Dovecot's OAuth2 settings for webmail that logs in with the user's identity-provider token
 * (Roundcube with Authentik or Keycloak): Dovecot checks the token at the provider's
 * introspection endpoint, and mailroster still answers the userdb, so a user who never logged in
 * before is found, and a disabled mailbox is refused before the token is even checked.
 */

/** The mechanisms a bearer token comes with. */
export const OAUTH2_MECHANISMS = 'xoauth2 oauthbearer';
/**
 * What mailroster's password passdbs keep beside OAuth2: `none` is a lookup without
 * authentication (doveadm auth lookup, proxying), which fails with `plain login` alone.
 */
export const PASSWORD_MECHANISMS = 'plain login none';

/** Resolved OAuth2 settings: the provider's endpoints filled in, the client secret read. */
export interface OAuth2Settings {
  readonly introspectionUrl: string;
  readonly openidConfigurationUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly usernameAttribute: string;
  readonly activeAttribute: string;
  readonly activeValue: string;
}

/** The `oauth2.*` settings with the configured provider's defaults; refuses what cannot work. */
export function oauth2Settings(config: AppConfig): OAuth2Settings {
  const o = config.oauth2;
  const p = config.provider;
  const base = (url: string) => url.replace(/\/+$/, '');
  let introspectionUrl = o.introspectionUrl;
  let openidConfigurationUrl = o.openidConfigurationUrl;
  if (introspectionUrl === '' && p.type === 'authentik' && p.authentik.url !== '') introspectionUrl = `${base(p.authentik.url)}/application/o/introspect/`;
  if (p.type === 'keycloak' && p.keycloak.url !== '' && p.keycloak.realm !== '') {
    const realm = `${base(p.keycloak.url)}/realms/${encodeURIComponent(p.keycloak.realm)}`;
    if (introspectionUrl === '') introspectionUrl = `${realm}/protocol/openid-connect/token/introspect`;
    if (openidConfigurationUrl === '') openidConfigurationUrl = `${realm}/.well-known/openid-configuration`;
  }
  if (introspectionUrl === '') throw new ConfigError('oauth2.introspectionUrl: required unless provider.type is authentik or keycloak with its url set');
  if (o.clientId === '' || o.clientSecretFile === '') throw new ConfigError('oauth2.clientId and oauth2.clientSecretFile: required; the introspection endpoint authenticates its client');
  const clientSecret = readSecret('', o.clientSecretFile, 'oauth2.clientSecretFile');
  if (/[\r\n]/.test(clientSecret) || /[\r\n]/.test(o.clientId)) throw new ConfigError('oauth2: client id and secret must be one line each');
  return {
    introspectionUrl, openidConfigurationUrl, clientId: o.clientId, clientSecret,
    usernameAttribute: o.usernameAttribute, activeAttribute: o.activeAttribute, activeValue: o.activeValue,
  };
}

/**
 * Dovecot 2.3: the oauth2 passdb args file. It holds the client secret (Dovecot 2.3 reads no
 * `<file` value there), so it is written mode 0600. `introspection_mode = post` sends the token
 * with client_id and client_secret in the form body, which Authentik and Keycloak both accept.
 */
export function renderOauth2Ext23(s: OAuth2Settings): string {
  return [
    '# mailroster: Dovecot 2.3 oauth2 passdb settings. Holds a secret: keep it mode 0600.',
    `introspection_url = ${s.introspectionUrl}`,
    'introspection_mode = post',
    `client_id = ${s.clientId}`,
    `client_secret = ${s.clientSecret}`,
    `username_attribute = ${s.usernameAttribute}`,
    `active_attribute = ${s.activeAttribute}`,
    `active_value = ${s.activeValue}`,
    ...(s.openidConfigurationUrl ? [`openid_configuration_url = ${s.openidConfigurationUrl}`] : []),
    '',
  ].join('\n');
}

/**
 * Dovecot 2.3: the passdb blocks that come before mailroster's password passdbs. First
 * mailroster's account check (`passdb/%u/oauth2`): a disabled or unknown mailbox fails the whole
 * login (`return-fail`), an enabled one continues without being authenticated by it
 * (`noauthenticate`); then Dovecot's oauth2 passdb checks the token. Both only for the bearer
 * mechanisms, so password logins never reach them (and never log oauth2 failures).
 */
export function renderOauth2Blocks23(checkExtPath: string, oauth2ExtPath: string): string {
  return [
    'passdb {',
    '  driver = dict',
    `  mechanisms = ${OAUTH2_MECHANISMS}`,
    `  args = ${checkExtPath}`,
    '  result_success = continue',
    '  result_failure = return-fail',
    '}',
    'passdb {',
    '  driver = oauth2',
    `  mechanisms = ${OAUTH2_MECHANISMS}`,
    `  args = ${oauth2ExtPath}`,
    '}',
    '',
  ].join('\n');
}

/** The args file of the 2.3 account check: same dict, key `passdb/%u/oauth2`. */
export function renderOauth2CheckExt23(uriLines: readonly string[]): string {
  return [...uriLines, 'key passdb {', '  key = passdb/%u/oauth2', '  format = json', '}', 'passdb_objects = passdb', ''].join('\n');
}

/**
 * The introspection URL with the client's credentials as its user info, which Dovecot sends as
 * HTTP Basic authentication: 2.4's `introspection_mode = post` sends only the token in the body.
 */
export function introspectionUrlWithCredentials(s: OAuth2Settings): string {
  const url = new URL(s.introspectionUrl);
  url.username = encodeURIComponent(s.clientId);
  url.password = encodeURIComponent(s.clientSecret);
  return url.toString();
}

/**
 * Dovecot 2.4: OAuth2 is no passdb any more but an `oauth2 { }` block used by the xoauth2 and
 * oauthbearer mechanisms, which are switched on beside the existing ones (the named-list syntax
 * adds to `auth_mechanisms`, it does not replace it). The introspection URL carries the client
 * credentials, so Dovecot reads it from `urlFile` (mode 0600) and the config holds no secret.
 */
export function renderOauth2Block24(s: OAuth2Settings, urlFile: string): string {
  return [
    'auth_mechanisms {',
    '  xoauth2 = yes',
    '  oauthbearer = yes',
    '}',
    'oauth2 {',
    `  introspection_url = <${urlFile}`,
    '  introspection_mode = post',
    `  username_attribute = ${s.usernameAttribute}`,
    `  active_attribute = ${s.activeAttribute}`,
    `  active_value = ${s.activeValue}`,
    ...(s.openidConfigurationUrl ? [`  openid_configuration_url = ${s.openidConfigurationUrl}`] : []),
    '}',
    '',
  ].join('\n');
}
