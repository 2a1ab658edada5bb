/** SCIM URNs mailroster reads and writes. */
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  /** mailroster's own extension: aliases, quota and password hash of a mailbox. */
  mailUser: 'urn:ietf:params:scim:schemas:extension:mailroster:2.0:User',
  /** mailroster's own extension: the list address of a group. */
  mailGroup: 'urn:ietf:params:scim:schemas:extension:mailroster:2.0:Group',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  spc: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** Extension schemas a resource of each type may carry. */
export const EXTENSIONS = { User: [URN.enterpriseUser, URN.mailUser], Group: [URN.mailGroup] } as const;

type Attr = Record<string, unknown>;
const attr = (name: string, type: string, extra: Attr = {}): Attr => ({
  name, type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra,
});
const sub = (name: string, type: string, extra: Attr = {}): Attr => attr(name, type, extra);

/** The attributes mailroster keeps, per schema (a subset of RFC 7643 §4 plus the extensions). */
const SCHEMAS: { id: string; name: string; description: string; attributes: Attr[] }[] = [
  {
    id: URN.user, name: 'User', description: 'A mailbox: userName or the primary e-mail is its address',
    attributes: [
      attr('userName', 'string', { required: true, uniqueness: 'server' }),
      attr('externalId', 'string', { caseExact: true }),
      attr('name', 'complex', { subAttributes: ['formatted', 'familyName', 'givenName', 'middleName'].map((n) => sub(n, 'string')) }),
      attr('displayName', 'string'),
      attr('active', 'boolean'),
      attr('emails', 'complex', { multiValued: true, subAttributes: [sub('value', 'string'), sub('type', 'string'), sub('primary', 'boolean'), sub('display', 'string')] }),
    ],
  },
  {
    id: URN.group, name: 'Group', description: 'A group; a distribution list when its displayName or the mailroster extension gives a hosted address',
    attributes: [
      attr('displayName', 'string', { required: true }),
      attr('externalId', 'string', { caseExact: true }),
      attr('members', 'complex', { multiValued: true, subAttributes: [sub('value', 'string', { mutability: 'immutable' }), sub('display', 'string'), sub('type', 'string')] }),
    ],
  },
  {
    id: URN.mailUser, name: 'MailUser', description: 'mailroster mailbox settings',
    attributes: [
      attr('aliases', 'string', { multiValued: true, description: 'Further addresses delivering to this mailbox; "@domain" is a catch-all' }),
      attr('quota', 'string', { description: 'Storage quota such as 5G, or a byte count' }),
      attr('passwordHash', 'string', { returned: 'never', caseExact: true, description: 'Dovecot password hash with its {SCHEME} prefix, for app-password logins' }),
    ],
  },
  {
    id: URN.mailGroup, name: 'MailGroup', description: 'mailroster distribution list settings',
    attributes: [attr('address', 'string', { description: 'List address in a hosted domain' })],
  },
];

/** GET /Schemas and /Schemas/{id} resources. */
export function schemaResources(base: string): Record<string, unknown>[] {
  return SCHEMAS.map((s) => ({ schemas: [URN.schema], ...s, meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` } }));
}

/** GET /ResourceTypes resources. */
export function resourceTypes(base: string): Record<string, unknown>[] {
  const type = (name: 'User' | 'Group', schema: string) => ({
    schemas: [URN.resourceType], id: name, name, endpoint: `/${name}s`, schema,
    schemaExtensions: EXTENSIONS[name].map((urn) => ({ schema: urn, required: false })),
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${name}` },
  });
  return [type('User', URN.user), type('Group', URN.group)];
}

/** GET /ServiceProviderConfig: PATCH yes (Authentik then patches group members), bulk and sort no. */
export function serviceProviderConfig(base: string, maxResults: number): Record<string, unknown> {
  return {
    schemas: [URN.spc],
    patch: { supported: true }, bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults }, changePassword: { supported: false }, sort: { supported: false }, etag: { supported: true },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Bearer token', description: 'scim.token, sent as Authorization: Bearer', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}
