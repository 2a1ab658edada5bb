import { chmod, chown, lstat, readFile, unlink } from 'node:fs/promises';
import { connect } from 'node:net';

/** Who may connect to a UNIX socket. */
export interface SocketPermissions {
  /** Octal mode such as "0660". */
  readonly mode: string;
  /** User name or uid; empty keeps the process user. */
  readonly owner: string;
  /** Group name or gid; empty keeps the process group. */
  readonly group: string;
}

/**
 * Removes a socket file left behind by a process that died, but only if nothing answers on it:
 * replacing the socket of a running server would silently steal its clients.
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${path} is in use by another running server`);
  await unlink(path);
}

/** Applies mode, owner and group to a freshly bound socket file. */
export async function applySocketPermissions(path: string, perms: SocketPermissions): Promise<void> {
  await chmod(path, parseInt(perms.mode, 8));
  if (perms.owner === '' && perms.group === '') return;
  const uid = perms.owner === '' ? -1 : await resolveId(perms.owner, '/etc/passwd');
  const gid = perms.group === '' ? -1 : await resolveId(perms.group, '/etc/group');
  await chown(path, uid, gid);
}

/** A numeric id, or the id of a name in /etc/passwd or /etc/group (node has no getpwnam). */
async function resolveId(nameOrId: string, database: string): Promise<number> {
  if (/^\d+$/.test(nameOrId)) return Number(nameOrId);
  const lines = (await readFile(database, 'utf8')).split('\n');
  const entry = lines.map((l) => l.split(':')).find((f) => f[0] === nameOrId);
  if (!entry || entry[2] === undefined) throw new Error(`unknown ${database === '/etc/group' ? 'group' : 'user'} "${nameOrId}"`);
  return Number(entry[2]);
}
