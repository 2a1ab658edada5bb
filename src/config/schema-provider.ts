import { fileURLToPath } from 'node:url';
import { DEFAULT_ROLE_ADDRESSES } from '../providers/address-trust.js';

/** The example directory shipped with the package, served by default. */
export const EXAMPLE_DIRECTORY = fileURLToPath(new URL('../../../src/config/example-directory.yaml', import.meta.url));

/** convict schema for the identity provider. */
export const providerSchema = {
  provider: {
    type: {
      doc: 'Where users, aliases and lists come from: a directory file, Authentik or Keycloak (pulled), or scim (pushed to /scim/v2 on http.listen; needs provider.domains and scim.token)',
      format: ['file', 'authentik', 'keycloak', 'scim'],
      default: 'file',
      env: 'MAILROSTER_PROVIDER_TYPE',
    },
    domains: {
      doc: 'Hosted domains; when empty, every domain of a mailbox address (a directory file may also list them). Provider addresses elsewhere are ignored and counted',
      format: 'string-list',
      default: [] as string[],
      env: 'MAILROSTER_PROVIDER_DOMAINS',
    },
    pageSize: {
      doc: 'Users (and groups, members, events) asked for per page from Authentik or Keycloak; Authentik pages are capped at 100 (its maximum since 2025.12)',
      format: 'nat',
      default: 100,
      env: 'MAILROSTER_PROVIDER_PAGE_SIZE',
    },
    file: {
      path: {
        doc: 'Directory file (YAML or JSON) for provider.type=file; watched and reloaded on change',
        format: String,
        default: EXAMPLE_DIRECTORY,
        env: 'MAILROSTER_PROVIDER_FILE_PATH',
      },
    },
    authentik: {
      url: {
        doc: 'Authentik base URL, e.g. https://auth.example.com (the API is under /api/v3/)',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_AUTHENTIK_URL',
      },
      token: {
        doc: 'Authentik API token (intent "API") of a user allowed to view users and groups',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_AUTHENTIK_TOKEN',
        sensitive: true,
      },
      tokenFile: {
        doc: 'File holding the Authentik API token (read at start; wins over provider.authentik.token)',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_AUTHENTIK_TOKEN_FILE',
      },
      emailAttribute: {
        doc: 'User attribute with the mail address, set by admins only; used instead of the e-mail field (which users may be allowed to change) when present',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_AUTHENTIK_EMAIL_ATTRIBUTE',
      },
    },
    keycloak: {
      url: {
        doc: 'Keycloak base URL, e.g. https://sso.example.com (add /auth for Keycloak before 17)',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_KEYCLOAK_URL',
      },
      realm: {
        doc: 'Realm whose users are read (the service-account client lives in the same realm)',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_KEYCLOAK_REALM',
      },
      clientId: {
        doc: 'Confidential client with "Service accounts roles" on, used for the client-credentials grant',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_KEYCLOAK_CLIENT_ID',
      },
      clientSecret: {
        doc: 'Secret of provider.keycloak.clientId',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_KEYCLOAK_CLIENT_SECRET',
        sensitive: true,
      },
      clientSecretFile: {
        doc: 'File holding the client secret (read at start; wins over provider.keycloak.clientSecret)',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_KEYCLOAK_CLIENT_SECRET_FILE',
      },
    },
    mapping: {
      aliasesAttribute: {
        doc: 'User attribute listing further addresses of the mailbox ("@domain" is a catch-all)',
        format: String,
        default: 'mailAlias',
        env: 'MAILROSTER_PROVIDER_MAPPING_ALIASES_ATTRIBUTE',
      },
      quotaAttribute: {
        doc: 'User attribute with the mailbox quota, e.g. 5G or a byte count',
        format: String,
        default: 'mailQuota',
        env: 'MAILROSTER_PROVIDER_MAPPING_QUOTA_ATTRIBUTE',
      },
      enabledAttribute: {
        doc: 'User attribute switching the mailbox off (false/no/0); absent means enabled',
        format: String,
        default: 'mailEnabled',
        env: 'MAILROSTER_PROVIDER_MAPPING_ENABLED_ATTRIBUTE',
      },
      passwordHashAttribute: {
        doc: 'User attribute with Dovecot password hashes ({SCHEME}...; a list or several separated by spaces), any of which signs in',
        format: String,
        default: 'mailPasswordHash',
        env: 'MAILROSTER_PROVIDER_MAPPING_PASSWORD_HASH_ATTRIBUTE',
      },
      mailboxGroup: {
        doc: 'Only members of this group (name or path; subgroups included) get a mailbox; empty: every user with an e-mail',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_MAPPING_MAILBOX_GROUP',
      },
      listMailAttribute: {
        doc: 'Group attribute with a list address; such groups become lists of their members',
        format: String,
        default: 'mail',
        env: 'MAILROSTER_PROVIDER_MAPPING_LIST_MAIL_ATTRIBUTE',
      },
    },
    selfService: {
      mode: {
        doc: 'Whether users can set their own addresses: auto reads the provider (registration, user profile, Authentik settings); admin-only trusts every field; self-service assumes users set them',
        format: ['auto', 'admin-only', 'self-service'],
        default: 'auto',
        env: 'MAILROSTER_PROVIDER_SELF_SERVICE_MODE',
      },
      acceptUnverified: {
        doc: 'Give mailboxes to unverified addresses that users set themselves (role addresses are still refused)',
        format: Boolean,
        default: false,
        env: 'MAILROSTER_PROVIDER_SELF_SERVICE_ACCEPT_UNVERIFIED',
      },
      roleAddresses: {
        doc: 'Local parts never taken from a field users can set (e-mail or aliases), with or without +extension',
        format: 'string-list',
        default: DEFAULT_ROLE_ADDRESSES,
        env: 'MAILROSTER_PROVIDER_SELF_SERVICE_ROLE_ADDRESSES',
      },
    },
    http: {
      timeoutMs: {
        doc: 'Limit for one request to the provider (headers and body), before a retry',
        format: 'nat',
        default: 30_000,
        env: 'MAILROSTER_PROVIDER_HTTP_TIMEOUT_MS',
      },
      retries: {
        doc: 'Further attempts after a 429, a 5xx, a timeout or a network error (exponential backoff with jitter, Retry-After honoured)',
        format: 'nat',
        default: 4,
        env: 'MAILROSTER_PROVIDER_HTTP_RETRIES',
      },
      caFile: {
        doc: 'PEM file of extra CA certificates to trust for the provider (added to the system roots)',
        format: String,
        default: '',
        env: 'MAILROSTER_PROVIDER_HTTP_CA_FILE',
      },
    },
  },
};
