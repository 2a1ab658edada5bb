import type { DirectoryData } from '../src/directory/directory-data.js';

/** A directory of `n` mailboxes over 10 domains, each with one alias; 1% of them in 100-member lists. */
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
  return { domains, mailboxes, lists };
}
