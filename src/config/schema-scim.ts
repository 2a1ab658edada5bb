/** convict schema for the SCIM 2.0 service (provider.type=scim) and the Authentik webhook. */
export const scimSchema = {
  scim: {
    token: {
      doc: 'Bearer token the SCIM client (Authentik, Entra ID, Okta...) sends; required for provider.type=scim',
      format: String, default: '', env: 'MAILROSTER_SCIM_TOKEN', sensitive: true,
    },
    tokenFile: {
      doc: 'File holding the SCIM bearer token (read at start; wins over scim.token)',
      format: String, default: '', env: 'MAILROSTER_SCIM_TOKEN_FILE',
    },
    maxBodyBytes: {
      // A PUT of a group with 10 000 members is about 500 kB; bigger bodies are refused unread.
      doc: 'Largest SCIM request body accepted; a longer one is answered 413 before it is buffered',
      format: 'nat', default: 1024 * 1024, env: 'MAILROSTER_SCIM_MAX_BODY_BYTES',
    },
    maxDepth: {
      doc: 'Deepest nesting of objects and arrays accepted in a SCIM body (a User needs 3)',
      format: 'nat', default: 16, env: 'MAILROSTER_SCIM_MAX_DEPTH',
    },
    maxResults: {
      doc: 'Most resources one SCIM list answer returns (a larger count is lowered to this)',
      format: 'nat', default: 1000, env: 'MAILROSTER_SCIM_MAX_RESULTS',
    },
    deleteWindowSeconds: {
      // Entra ID with a wrong scope deprovisions everyone one request at a time: the deletion
      // guard (sync.maxDeletePercent) therefore counts removals over this window, not per request.
      doc: 'Sliding window over which pushed removals (DELETE, active=false) count against sync.maxDeletePercent',
      format: 'nat', default: 3600, env: 'MAILROSTER_SCIM_DELETE_WINDOW_SECONDS',
    },
  },
  hooks: {
    authentik: {
      secret: {
        doc: 'Shared secret of POST /hooks/authentik (header X-Mailroster-Secret, Authorization: Bearer, or ?secret=); empty disables the webhook',
        format: String, default: '', env: 'MAILROSTER_HOOKS_AUTHENTIK_SECRET', sensitive: true,
      },
      secretFile: {
        doc: 'File holding the Authentik webhook secret (read at start; wins over hooks.authentik.secret)',
        format: String, default: '', env: 'MAILROSTER_HOOKS_AUTHENTIK_SECRET_FILE',
      },
    },
  },
};
