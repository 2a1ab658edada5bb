/** convict schema for the OAuth2 settings `mailroster dovecot-config --oauth2` writes for Dovecot. */
export const oauth2Schema = {
  oauth2: {
    introspectionUrl: {
      doc: "Token introspection endpoint Dovecot checks bearer tokens at; empty: the provider's (Authentik /application/o/introspect/, Keycloak .../protocol/openid-connect/token/introspect)",
      format: String, default: '', env: 'MAILROSTER_OAUTH2_INTROSPECTION_URL',
    },
    openidConfigurationUrl: {
      doc: "OpenID configuration URL Dovecot names to OAUTHBEARER clients; empty: Keycloak's realm one, none for Authentik (it is per application: /application/o/SLUG/.well-known/openid-configuration)",
      format: String, default: '', env: 'MAILROSTER_OAUTH2_OPENID_CONFIGURATION_URL',
    },
    clientId: {
      doc: "Client id Dovecot authenticates to the introspection endpoint with (the webmail's OAuth2 client)",
      format: String, default: '', env: 'MAILROSTER_OAUTH2_CLIENT_ID',
    },
    clientSecretFile: {
      doc: 'File holding that client\'s secret, read by dovecot-config (never printed by print-config)',
      format: String, default: '', env: 'MAILROSTER_OAUTH2_CLIENT_SECRET_FILE',
    },
    usernameAttribute: {
      doc: 'Introspection field holding the login name; mailroster logins are e-mail addresses',
      format: String, default: 'email', env: 'MAILROSTER_OAUTH2_USERNAME_ATTRIBUTE',
    },
    activeAttribute: {
      doc: 'Introspection field that says whether a token is valid (RFC 7662: active)',
      format: String, default: 'active', env: 'MAILROSTER_OAUTH2_ACTIVE_ATTRIBUTE',
    },
    activeValue: {
      doc: 'Value of oauth2.activeAttribute for a valid token',
      format: String, default: 'true', env: 'MAILROSTER_OAUTH2_ACTIVE_VALUE',
    },
  },
};
