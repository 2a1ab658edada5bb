import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { stringify } from 'yaml';
import { Directory } from '../directory/directory.js';
import { ConfigError } from '../errors.js';
import { importDms, type DmsDatabase } from './import-dms.js';

function readDatabase(path: string | undefined): DmsDatabase | undefined {
  if (path === undefined) return undefined;
  try {
    return { name: basename(path), text: readFileSync(path, 'utf8') };
  } catch (err) {
    throw new ConfigError(`import-dms: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * `mailroster import-dms postfix-accounts.cf [postfix-virtual.cf [dovecot-quotas.cf]] [--out FILE]`:
 * prints (or writes) a directory file for provider.type=file. Lines it cannot carry over are
 * listed on stderr with file, line and reason; the file is validated exactly as `serve` would.
 * Exit 0 written, 1 with skipped lines (the file is still written), 2 not valid.
 */
export async function importDmsCommand(args: string[], flags: Readonly<Record<string, unknown>>): Promise<number> {
  const [accountsPath, virtualPath, quotasPath] = args;
  const accounts = readDatabase(accountsPath);
  if (accounts === undefined) throw new ConfigError('import-dms needs postfix-accounts.cf (and optionally postfix-virtual.cf, dovecot-quotas.cf)');
  const { data, skipped } = importDms(accounts, readDatabase(virtualPath), readDatabase(quotasPath));
  for (const s of skipped) process.stderr.write(`skipped ${s.where}: ${s.reason}\n`);
  const check = Directory.build(data, { strict: false, source: 'import' });
  if (check.problems.length > 0) {
    for (const p of check.problems) process.stderr.write(`invalid ${p.where}: ${p.reason}\n`);
    return 2;
  }
  const text = `# Imported from docker-mailserver by mailroster import-dms; password hashes as DMS stored them.\n${stringify(data)}`;
  if (typeof flags.out === 'string') writeFileSync(flags.out, text, { mode: 0o600 });
  else process.stdout.write(text);
  process.stderr.write(`imported ${data.mailboxes.length} mailboxes, ${data.lists?.length ?? 0} lists\n`);
  return skipped.length > 0 ? 1 : 0;
}
