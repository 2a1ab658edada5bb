import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { createProvider } from '../../src/providers/provider-factory.js';
import { tempDir } from '../helpers/temp.js';
import { captureLogger } from '../helpers/service.js';

const silent = captureLogger().logger;

describe('provider configuration', () => {
  test('every provider key comes from MAILROSTER_PROVIDER_* and secrets never print', () => {
    const { config, redacted } = loadConfig({ env: {
      MAILROSTER_PROVIDER_TYPE: 'keycloak',
      MAILROSTER_PROVIDER_KEYCLOAK_URL: 'https://sso.example.com',
      MAILROSTER_PROVIDER_KEYCLOAK_REALM: 'mail',
      MAILROSTER_PROVIDER_KEYCLOAK_CLIENT_ID: 'mailroster',
      MAILROSTER_PROVIDER_KEYCLOAK_CLIENT_SECRET: 'very-secret-value',
      MAILROSTER_PROVIDER_AUTHENTIK_TOKEN: 'another-secret-token',
      MAILROSTER_PROVIDER_MAPPING_MAILBOX_GROUP: '/mail-users',
      MAILROSTER_PROVIDER_MAPPING_ALIASES_ATTRIBUTE: 'otherMailbox',
      MAILROSTER_PROVIDER_DOMAINS: 'example.com, example.org',
      MAILROSTER_PROVIDER_HTTP_TIMEOUT_MS: '5000',
      MAILROSTER_PROVIDER_HTTP_RETRIES: '1',
      MAILROSTER_PROVIDER_PAGE_SIZE: '500',
    } });
    assert.equal(config.provider.keycloak.clientSecret, 'very-secret-value');
    assert.equal(config.provider.mapping.mailboxGroup, '/mail-users');
    assert.equal(config.provider.mapping.aliasesAttribute, 'otherMailbox');
    assert.equal(config.provider.mapping.quotaAttribute, 'mailQuota');
    assert.deepEqual(config.provider.domains, ['example.com', 'example.org']);
    assert.equal(config.provider.http.timeoutMs, 5000);
    assert.equal(config.provider.pageSize, 500);
    const printed = redacted();
    assert.ok(!printed.includes('very-secret-value') && !printed.includes('another-secret-token'));
    assert.equal(createProvider(config, silent).name, 'keycloak');
  });

  test('the Authentik token is read from tokenFile', async () => {
    const tmp = tempDir();
    const file = join(tmp.path, 'token');
    writeFileSync(file, 'token-from-file\n');
    const { config } = loadConfig({ env: {}, overrides: { provider: { type: 'authentik', authentik: { url: 'https://auth.example.com', tokenFile: file } } } });
    const provider = createProvider(config, silent);
    assert.equal(provider.name, 'authentik');
    await provider.close?.();
    tmp.remove();
  });

  test('a missing URL, secret or secret file is a ConfigError naming the key', () => {
    const load = (provider: Record<string, unknown>) => loadConfig({ env: {}, overrides: { provider } }).config;
    assert.throws(() => createProvider(load({ type: 'authentik', authentik: { token: 't' } }), silent), (e: unknown) => e instanceof ConfigError && /provider\.authentik\.url/.test(e.message));
    assert.throws(() => createProvider(load({ type: 'keycloak', keycloak: { url: 'https://k', realm: 'r', clientId: 'c' } }), silent), /provider\.keycloak\.clientSecret/);
    assert.throws(() => createProvider(load({ type: 'authentik', authentik: { url: 'https://a', tokenFile: '/nonexistent/token' } }), silent), /cannot read secret file/);
    assert.throws(() => load({ type: 'ldap' }), ConfigError);
    assert.throws(() => createProvider(load({ type: 'authentik', authentik: { url: 'https://a', token: 't' }, http: { caFile: '/nonexistent/ca.pem' } }), silent), /provider\.http\.caFile: cannot read/);
  });
});
