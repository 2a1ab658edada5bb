import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/lib/dovecot', '/usr/lib/postfix/sbin'];

/** Absolute path of an executable, or undefined. Looks in PATH and the sbin directories. */
export function findBinary(name: string): string | undefined {
  for (const dir of SEARCH) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * For `test(name, { skip: missingBinaries(...) }, ...)`: the reason to skip when a binary is
 * missing on a developer machine. Under CI (CI=true) a missing binary is a failure, never a
 * silent skip, so this throws.
 */
export function missingBinaries(...names: string[]): string | false {
  const missing = names.filter((n) => findBinary(n) === undefined);
  if (missing.length === 0) return false;
  const reason = `needs ${missing.join(', ')} (apt-get install redis-server postfix dovecot-core dovecot-lmtpd)`;
  if (process.env.CI === 'true') throw new Error(`CI: ${reason}`);
  return reason;
}
