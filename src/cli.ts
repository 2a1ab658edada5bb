#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { formatSocketmapReply } from '../protocol/socketmap.js';
import { loadConfig, type AppConfig } from './config/config.js';
import { renderPostfixConfig } from './postfix-config.js';
import { DOVECOT_CONFIG_OPTIONS, dovecotConfigCommand } from './dovecot/config-out.js';
import { grafanaDashboard } from './ops/grafana-dashboard.js';
import { toSocketmapReply } from './servers/replies.js';
import { serveCommand } from './serve-command.js';
import { renderSystemdUnit } from './deploy/systemd-unit.js';
import { resolve } from 'node:path';
import { fetchDirectoryOnce, lookupOnce } from './one-shot.js';
import { EXIT, ServiceError, StartupError } from './errors.js';
import { SYNC_OPTIONS, syncCommand } from './sync/sync-command.js';
import { DMS_CONFIG_OPTIONS, dmsConfigCommand } from './dms/dms-config-command.js';
import { importDmsCommand } from './dms/import-dms-command.js';

const USAGE = `usage: mailroster [--config FILE] COMMAND
commands:
  serve                 run the socketmap (and dict) servers and the sync
  lookup MAP KEY        answer one socketmap query as the server would (exit 0 found, 1 not found, 2 error)
  check-config          validate the configuration and the directory, then exit
  print-config          print the effective configuration, secrets redacted
  postfix-config        print the Postfix main.cf lines for the configured endpoints
  dovecot-config [EXT] [--dovecot 2.3|2.4] [--out DIR] [--auth-url URL] [--dovecot-dir PATH] [--oauth2]
                        Dovecot passdb/userdb config: 2.3 (default) the dict blocks and the args
                        file for the first dict.listen socket (EXT: where that file goes); 2.4 the
                        Lua bridge to auth.listen. --out DIR writes every file into DIR (the
                        secret at mode 0600) for "!include DIR/mailroster.conf"; --dovecot-dir:
                        where Dovecot sees DIR (a container mount), --auth-url: how it reaches
                        mailroster (default: auth.listen); --idle-msecs N (2.3): keep dict
                        connections open N ms between lookups; --oauth2: also bearer-token
                        logins checked at the provider's introspection endpoint (oauth2.*)
  systemd-unit [USER]   print a hardened systemd unit for serve with this --config (USER: mailroster)
  sync --once [--dry-run] [--force] [--all]
                        sync from the provider once and print the difference (exit 0 applied,
                        1 failed, 2 refused by the deletion guard; --force overrides it)
  grafana-dashboard     print the Grafana dashboard JSON for mailroster's metrics
  sync --confirm-deletions
                        provider.type=scim: apply the pushed removals the mass-removal guard holds
  dms-config --dms 15|edge --out DIR [--transport unix|tcp] [--keep-dms-aliases] [--container] [--force]
                        write docker-mailserver's override files (with --container: also compose.yaml,
                        mailroster's Dockerfile and config); see README "docker-mailserver"
  import-dms ACCOUNTS [VIRTUAL [QUOTAS]] [--out FILE]
                        turn DMS's postfix-accounts.cf, postfix-virtual.cf, dovecot-quotas.cf into a
                        directory file (hashes kept)`;

/** Commands: each returns the process exit code. */
const COMMANDS: Record<string, (config: AppConfig, args: string[], redacted: () => string, flags: Readonly<Record<string, unknown>>) => Promise<number>> = {
  serve: (config, _a, _r, flags) => serveCommand(config, { file: flags.config as string | undefined }),
  lookup,
  'check-config': checkConfig,
  'print-config': async (_c, _a, redacted) => (process.stdout.write(`${redacted()}\n`), 0),
  'postfix-config': async (config) => (process.stdout.write(renderPostfixConfig(config)), 0),
  'dovecot-config': async (config, args, _r, flags) => dovecotConfigCommand(config, args, flags, (s) => process.stdout.write(s)),
  sync: (config, _a, _r, flags) => syncCommand(config, flags),
  'systemd-unit': async (config, args, _r, flags) => {
    const configFile = resolve((flags.config as string | undefined) ?? '/etc/mailroster/config.yaml');
    return (process.stdout.write(renderSystemdUnit(config, { configFile, user: args[0] ?? 'mailroster' })), 0);
  },
  'dms-config': (config, _a, _r, flags) => dmsConfigCommand(config, flags),
  'import-dms': (_c, args, _r, flags) => importDmsCommand(args, flags),
  'grafana-dashboard': async () => (process.stdout.write(grafanaDashboard()), 0),
};

async function lookup(config: AppConfig, args: string[]): Promise<number> {
  const [map, key] = args;
  if (map === undefined || key === undefined) throw new UsageError('lookup needs MAP and KEY');
  const reply = toSocketmapReply(await lookupOnce(config, map, key));
  process.stdout.write(`${formatSocketmapReply(reply).payload}\n`);
  return reply.status === 'OK' ? 0 : reply.status === 'NOTFOUND' ? 1 : 2;
}

async function checkConfig(config: AppConfig): Promise<number> {
  let directory;
  try {
    directory = await fetchDirectoryOnce(config);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  for (const p of directory.problems) process.stderr.write(`skipped ${p.where}: ${p.reason}\n`);
  process.stdout.write(`configuration valid; directory has ${directory.mailboxCount} mailboxes\n`);
  return 0;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, ...SYNC_OPTIONS, ...DOVECOT_CONFIG_OPTIONS, ...DMS_CONFIG_OPTIONS },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) return (process.stdout.write(`${USAGE}\n`), command === undefined && !values.help ? 64 : 0);
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"`);
  const { config, redacted } = loadConfig({ file: values.config });
  return run(config, rest, redacted, values);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mailroster: ${(err as Error).message}\n${USAGE}\n`);
      process.exit(EXIT.USAGE);
    }
    // An operational error is one readable line (no stack); only a bug prints a stack.
    process.stderr.write(`mailroster: ${err instanceof ServiceError ? err.message : (err as Error).stack}\n`);
    process.exit(err instanceof StartupError ? err.exitCode : err instanceof ServiceError ? EXIT.CONFIG : EXIT.SOFTWARE);
  },
);
