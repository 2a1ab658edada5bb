import type { FakeAuthentik } from './fake-authentik.js';
import type { FakeKeycloak } from './fake-keycloak.js';

/** Local part of synthetic user `i`, zero-padded so username order is numeric order. */
export function syntheticUser(i: number): string {
  return `u${String(i).padStart(6, '0')}`;
}

/**
 * Fills a fake Authentik with `n` users shaped like a real company: every user has an e-mail, one
 * in ten an alias and a quota, one in fifty is inactive, one in a thousand a service account;
 * plus a `mail-users` group holding everyone and a list group with 1000 members.
 */
export function populateAuthentik(ak: FakeAuthentik, n: number): void {
  ak.bulkAdd(Array.from({ length: n }, (_, i) => ({
    username: syntheticUser(i),
    is_active: i % 50 !== 49,
    ...(i % 1000 === 999 && { type: 'service_account' }),
    attributes: i % 10 === 0 ? { mailAlias: [`alias-${syntheticUser(i)}@example.com`], mailQuota: '2G' } : {},
  })));
  const everyone = ak.users.map((u) => u.pk);
  ak.groups.push({ pk: 'g-mail-users', num_pk: 1, name: 'mail-users', is_superuser: false, parents: [], users: everyone, attributes: {} });
  ak.groups.push({ pk: 'g-announce', num_pk: 2, name: 'announce', is_superuser: false, parents: [], users: everyone.slice(0, 1000), attributes: { mail: 'announce@example.com' } });
}

/** The same population in a fake Keycloak (attributes as string lists). */
export function populateKeycloak(kc: FakeKeycloak, n: number): void {
  kc.bulkAdd(Array.from({ length: n }, (_, i) => ({
    username: syntheticUser(i),
    enabled: i % 50 !== 49,
    attributes: (i % 10 === 0 ? { mailAlias: [`alias-${syntheticUser(i)}@example.com`], mailQuota: ['2G'] } : {}) as Record<string, string[]>,
  })));
  const everyone = kc.users.map((u) => u.id);
  kc.groups.push({ id: 'g-mail-users', name: 'mail-users', path: '/mail-users', attributes: {}, members: everyone });
  kc.groups.push({ id: 'g-announce', name: 'announce', path: '/announce', attributes: { mail: ['announce@example.com'] }, members: everyone.slice(0, 1000) });
}
