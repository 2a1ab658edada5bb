import { createHash } from 'node:crypto';
import { Directory } from '../src/directory/directory.js';
import { DEFAULT_ADDRESS_RULES } from '../src/directory/resolve.js';
import { DictLookup } from '../src/lookup/dict-lookup.js';
import { ResolverCache } from '../src/lookup/resolver-cache.js';
import { hashAppPasswordKey } from '../src/providers/authentik-app-passwords.js';
import type { Benchmark, BenchResult } from './bench-api.js';

function timeLoop(n: number, fn: (i: number) => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n; // µs per op
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
/** A key shaped like Authentik's: 128 letters and digits. */
const key = (i: number): string => `${i}`.padEnd(128, 'k7Qz');

/**
 * Sign-in costs: a 2.3 dict passdb lookup (digest key) of a user with 10 app passwords against one
 * with a single hash, in the same 10k directory; and hashing 10k app password keys at sync, against
 * a JSON.stringify of the same keys (the least a sync does with any string it keeps).
 */
const bench: Benchmark = async ({ quick }) => {
  const rows: BenchResult[] = [];
  const users = quick ? 2_000 : 10_000;
  const mailboxes = Array.from({ length: users }, (_, i) => i % 2 === 0
    ? { address: `u${i}@example.com`, passwordHash: '{BLF-CRYPT}$2y$05$abcdefghijklmnopqrstuv' }
    : { address: `u${i}@example.com`, appPasswords: Array.from({ length: 10 }, (_, j) => ({ id: `t${j}`, hash: `{SHA256.HEX}${sha(key(i * 10 + j))}`, expires: '2099-01-01T00:00:00Z' })) });
  const dir = Directory.build({ mailboxes }, { strict: true, source: 'bench' });
  const source = { current: () => dir, unavailableReason: () => '' };
  const dict = new DictLookup(source, new ResolverCache(source, DEFAULT_ADDRESS_RULES), {
    userdb: { uid: '5000', gid: '5000', home: '/srv/%d/%n', mail: '', quotaRule: '' },
    passdb: { disabledMode: 'fail', disabledReason: 'x' },
  });
  const typed = sha('what the client typed');
  // Keys built before timing: only the lookup is measured.
  const oneKeys = Array.from({ length: users / 2 }, (_, i) => `shared/passdb/u${i * 2}@example.com/${typed}`);
  const tenKeys = Array.from({ length: users / 2 }, (_, i) => `shared/passdb/u${i * 2 + 1}@example.com/${sha(key((i * 2 + 1) * 10 + 9))}`);
  const N = quick ? 50_000 : 200_000;
  const oneHash = timeLoop(N, (i) => dict.lookup(oneKeys[i % oneKeys.length]!));
  const tenApps = timeLoop(N, (i) => dict.lookup(tenKeys[i % tenKeys.length]!));
  rows.push({ name: 'dict passdb lookup, user with 1 hash (digest key)', value: oneHash, unit: 'µs/op' });
  rows.push({ name: 'dict passdb lookup, user with 10 app passwords, last one typed', value: tenApps, unit: 'µs/op', ratio: { value: tenApps / oneHash, against: 'a user with 1 hash' } });

  const keys = Array.from({ length: 10_000 }, (_, i) => key(i));
  const baseline = timeLoop(keys.length, (i) => JSON.stringify(keys[i]));
  const hashing = timeLoop(keys.length, (i) => hashAppPasswordKey(keys[i]!));
  rows.push({ name: 'app password key hashing at sync, 10k tokens', value: (hashing * keys.length) / 1e3, unit: 'ms', ratio: { value: hashing / baseline, against: 'JSON.stringify of each key' } });
  return rows;
};

export default bench;
