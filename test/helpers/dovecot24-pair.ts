import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VMAIL_UID } from './dovecot-instance.js';
import { startDovecot24, type Dovecot24Instance, type Dovecot24Options } from './dovecot24-instance.js';
import { freePort } from './net.js';
import { startFileService } from './service.js';
import { tempDir } from './temp.js';

/** A file-backed mailroster with its auth endpoint, and a Dovecot 2.4 configured to call it. */
export interface Dovecot24Pair {
  readonly dv: Dovecot24Instance;
  /** The running mailroster; undefined after {@link stopMailroster}. */
  svc: Awaited<ReturnType<typeof startFileService>> | undefined;
  /** The fixed loopback port of the auth endpoint (mailroster restarts on the same one). */
  readonly port: number;
  readonly secretFile: string;
  /** Starts (again) a mailroster on the same port, directory file and templates. */
  startMailroster(yaml?: string): Promise<void>;
  /** Stops mailroster only; Dovecot keeps running. */
  stopMailroster(): Promise<void>;
  /** Stops both and removes everything. */
  stop(): Promise<void>;
}

/** Options of {@link startDovecot24Pair}. */
export interface Dovecot24PairOptions extends Omit<Dovecot24Options, 'mailrosterEnv'> {
  /** The directory file mailroster serves (undefined: start no mailroster yet). */
  readonly yaml?: string;
  /** Extra mailroster config, merged over the auth endpoint and the userdb templates. */
  readonly overrides?: Record<string, unknown>;
  /** Extra env for `dovecot-config --out` (e.g. a different secret file). */
  readonly dovecotConfigEnv?: Readonly<Record<string, string>>;
}

/**
 * Starts Dovecot 2.4 with the files `dovecot-config --dovecot 2.4 --out` writes, then mailroster
 * on the port named there, with userdb templates for the instance's own mail root (uid/gid
 * {@link VMAIL_UID}, home `<vmail>/%d/%n`, maildir). Dovecot comes first: its Lua connects only
 * on the first lookup, and mailroster's home template must name Dovecot's folder.
 */
export async function startDovecot24Pair(options: Dovecot24PairOptions = {}): Promise<Dovecot24Pair> {
  const secrets = tempDir('mailroster-secret-');
  const secretFile = join(secrets.path, 'secret');
  writeFileSync(secretFile, 'test-secret-0123456789abcdef\n');
  const port = await freePort();
  let dv: Dovecot24Instance;
  try {
    dv = await startDovecot24({ ...options, mailrosterEnv: { MAILROSTER_AUTH_LISTEN: `127.0.0.1:${port}`, MAILROSTER_AUTH_SECRET_FILE: secretFile, ...options.dovecotConfigEnv } });
  } catch (err) {
    secrets.remove();
    throw err;
  }
  let lastYaml = options.yaml;
  const pair: Dovecot24Pair = {
    dv, port, secretFile, svc: undefined,
    async startMailroster(yaml = lastYaml) {
      lastYaml = yaml;
      pair.svc = await startFileService(yaml ?? 'mailboxes: []\n', {
        auth: { listen: `127.0.0.1:${port}`, secretFile },
        dict: { userdb: { uid: String(VMAIL_UID), gid: String(VMAIL_UID), home: `${dv.vmail}/%d/%n`, mail: 'maildir:~/Maildir' } },
        ...options.overrides,
      });
    },
    async stopMailroster() {
      const svc = pair.svc;
      pair.svc = undefined;
      await svc?.stop();
    },
    async stop() {
      await pair.stopMailroster();
      await dv.stop();
      secrets.remove();
    },
  };
  if (options.yaml !== undefined) {
    try {
      await pair.startMailroster();
    } catch (err) {
      await pair.stop();
      throw err;
    }
  }
  return pair;
}
