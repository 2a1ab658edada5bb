import type { DirectoryData } from '../src/directory/directory-data.js';

/** Domain of the catch-all scenario: one mailbox owns `@c.example`. */
export const CATCH_ALL_DOMAIN = 'c.example';
/** The 1,000-member list of the list scenario. */
export const BIG_LIST = 'big@d0.example';

/**
 * A directory of `n` mailboxes over 10 domains, each with one alias; 1% of them in 100-member
 * lists; plus a catch-all domain (`postmaster@c.example` owns `@c.example`) and one 1,000-member list.
 */
export function syntheticDirectory(n: number): DirectoryData {
  const domains = Array.from({ length: 10 }, (_, i) => `d${i}.example`);
  const mailboxes = Array.from({ length: n }, (_, i) => ({
    address: `user${i}@${domains[i % 10]}`,
    aliases: [`alias${i}@${domains[i % 10]}`],
    quotaBytes: 2 ** 30,
  }));
  const lists = Array.from({ length: Math.floor(n / 100) }, (_, i) => ({
    address: `list${i}@${domains[i % 10]}`,
    members: mailboxes.slice(i * 100, i * 100 + 100).map((m) => m.address),
  }));
  lists.push({ address: BIG_LIST, members: Array.from({ length: 1000 }, (_, i) => `member${i}@elsewhere.example`) });
  mailboxes.push({ address: `postmaster@${CATCH_ALL_DOMAIN}`, aliases: [`@${CATCH_ALL_DOMAIN}`], quotaBytes: 2 ** 30 });
  return { domains: [...domains, CATCH_ALL_DOMAIN], mailboxes, lists };
}
