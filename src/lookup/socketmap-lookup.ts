import type { ResolverCache } from './resolver-cache.js';
import type { AddressResolver } from '../directory/resolve.js';
import { NOT_FOUND, type LookupResult } from './lookup-result.js';

type MapHandler = (resolver: AddressResolver, key: string) => string | undefined;

/** The socketmap names mailroster answers and what each one returns. */
const MAPS: Readonly<Record<string, MapHandler>> = {
  // virtual_mailbox_domains: any non-empty value; we return the domain.
  domain: (r, key) => r.domain(key),
  // virtual_mailbox_maps: "domain/local/" is the conventional maildir-style value.
  mailbox: (r, key) => {
    const mb = r.mailbox(key);
    return mb && `${mb.domain}/${mb.local}/`;
  },
  // virtual_alias_maps and smtpd_sender_login_maps take comma-separated lists.
  alias: (r, key) => r.alias(key)?.join(','),
  senders: (r, key) => r.senders(key)?.join(','),
};

/** Names of the maps, for `postfix-config` and the PERM reason. */
export const SOCKETMAP_NAMES: readonly string[] = Object.keys(MAPS);

/** Answers one socketmap query (`NAME KEY`) from the current snapshot. */
export function lookupSocketmap(cache: ResolverCache, name: string, key: string): LookupResult {
  const handler = Object.hasOwn(MAPS, name) ? MAPS[name] : undefined;
  if (!handler) {
    return { kind: 'unknown-map', reason: `unknown map "${name.slice(0, 40)}"; known maps: ${SOCKETMAP_NAMES.join(', ')}` };
  }
  const resolver = cache.resolver();
  if (!resolver) return { kind: 'unavailable', reason: cache.unavailableReason() };
  const value = handler(resolver, key);
  return value === undefined ? NOT_FOUND : { kind: 'found', value };
}
