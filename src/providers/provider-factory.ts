import type { Logger } from 'pino';
import { readSecret, type AppConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { AuthentikProvider } from './authentik-provider.js';
import { FileProvider } from './file-provider.js';
import type { SelfServiceOptions } from './address-trust.js';
import type { IdpOptions } from './idp-options.js';
import { KeycloakProvider } from './keycloak-provider.js';
import type { DirectoryProvider } from './provider.js';
import { ScimProvider } from '../scim/scim-provider.js';

/** Builds the configured provider; a new provider adds one case here. */
export function createProvider(config: AppConfig, logger: Logger): DirectoryProvider {
  const p = config.provider;
  switch (p.type) {
    case 'file':
      return new FileProvider(p.file.path);
    case 'authentik':
      return new AuthentikProvider({
        ...idpOptions(config, logger),
        url: required(p.authentik.url, 'provider.authentik.url'),
        token: required(readSecret(p.authentik.token, p.authentik.tokenFile, 'provider.authentik.tokenFile'), 'provider.authentik.token (or tokenFile)'),
        emailAttribute: p.authentik.emailAttribute,
      });
    case 'keycloak':
      return new KeycloakProvider({
        ...idpOptions(config, logger),
        url: required(p.keycloak.url, 'provider.keycloak.url'),
        realm: required(p.keycloak.realm, 'provider.keycloak.realm'),
        clientId: required(p.keycloak.clientId, 'provider.keycloak.clientId'),
        clientSecret: required(readSecret(p.keycloak.clientSecret, p.keycloak.clientSecretFile, 'provider.keycloak.clientSecretFile'), 'provider.keycloak.clientSecret (or clientSecretFile)'),
      });
    case 'scim':
      return new ScimProvider();
    default:
      throw new ConfigError(`provider.type: unknown provider "${p.type}"`);
  }
}

/** The settings Authentik and Keycloak share, from provider.mapping, provider.http and provider.domains. */
export function idpOptions(config: AppConfig, logger?: Logger): IdpOptions {
  const p = config.provider;
  if (p.pageSize < 1) throw new ConfigError('provider.pageSize: must be at least 1');
  return {
    mapping: { ...p.mapping, domains: p.domains },
    selfService: { ...p.selfService, mode: p.selfService.mode as SelfServiceOptions['mode'] },
    pageSize: p.pageSize,
    timeoutMs: p.http.timeoutMs,
    retries: p.http.retries,
    caFile: p.http.caFile,
    ...(logger && { logger: logger.child({ component: 'provider', provider: p.type }) }),
  };
}

function required(value: string, key: string): string {
  if (value === '') throw new ConfigError(`${key}: required for provider.type=${key.split('.')[1]}`);
  return value;
}
