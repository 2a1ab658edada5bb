import { socketmapSocket, type DmsLayout } from './dms-layout.js';

/** Marks the block a user merges into an existing user-patches.sh. */
export const PATCH_BEGIN = '# --- mailroster begin';
const PATCH_END = '# --- mailroster end';

/**
 * DMS's `user-patches.sh` (run with bash, last, right before the daemons start). It empties the
 * file DMS's `!include auth-passwdfile.inc` points at, rather than commenting out the include:
 * FILE's change detector uncomments that include line whenever postfix-accounts.cf changes (and
 * reloads Dovecot), but never rewrites the included file, so an emptied file stays empty.
 */
export function renderDmsUserPatches(layout: DmsLayout): string {
  const inc = `${layout.dovecotConfD}/auth-passwdfile.inc`;
  const lines = [
    '#!/bin/bash',
    `# mailroster for docker-mailserver ${layout.version}. DMS runs this file last, right before its daemons start.`,
    '# Already have a user-patches.sh? Append the block between the two markers to it.',
    PATCH_BEGIN,
    '# DMS\'s passwd-file (postfix-accounts.cf) holds only the placeholder account; users log in through',
    '# mailroster (dovecot.cf). Emptying the included file survives DMS\'s change detector, which only',
    '# toggles the `!include auth-passwdfile.inc` line in 10-auth.conf.',
    `printf '%s\\n' '# Emptied by mailroster (user-patches.sh): passdb and userdb are in local.conf.' >'${inc}'`,
  ];
  if (layout.transport === 'unix') {
    const sock = socketmapSocket(layout);
    lines.push(
      '# Not fatal: without mailroster Postfix defers mail (4xx) and Dovecot refuses logins; nothing bounces.',
      `[[ -S '${sock}' ]] || echo 'mailroster: ${sock} is missing: is the mailroster volume mounted at ${layout.socketDir}?' >&2`,
    );
  }
  lines.push(PATCH_END, '');
  return lines.join('\n');
}
