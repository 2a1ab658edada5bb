import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFields, VMAIL_UID } from '../helpers/dovecot-instance.js';
import { missingDovecot24, startDovecot24, type Dovecot24Instance } from '../helpers/dovecot24-instance.js';
import { startFileService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

// alice: password, alias, quota. bob: no password hash. carol: disabled. Odd: holds a \x01 byte.
const YAML = `
domains: [example.com]
mailboxes:
  - address: alice@example.com
    aliases: [a.smith@example.com]
    quota: 2G
    passwordHash: "{PLAIN}secret"
  - address: bob@example.com
  - address: carol@example.com
    enabled: false
    passwordHash: "{PLAIN}carol-pw"
  - address: "odd\\x01one@example.com"
`;

describe('Dovecot 2.4 passdb/userdb through the Lua bridge', { skip: missingDovecot24() }, () => {
  const secrets = tempDir('mailroster-secret-');
  const secretFile = join(secrets.path, 'secret');
  let dv: Dovecot24Instance;
  let svc: Awaited<ReturnType<typeof startFileService>>;

  before(async () => {
    writeFileSync(secretFile, 'test-secret-0123456789abcdef\n');
    svc = await startFileService(YAML, { auth: { listen: '127.0.0.1:0', secretFile }, dict: { userdb: { uid: String(VMAIL_UID), gid: String(VMAIL_UID), home: '/tmp/vm/%d/%n', mail: 'maildir:~/Maildir' } } });
    const port = svc.service.auth!.address!.kind === 'tcp' ? (svc.service.auth!.address as { port: number }).port : 0;
    dv = await startDovecot24({
      mailrosterEnv: { MAILROSTER_AUTH_LISTEN: `127.0.0.1:${port}`, MAILROSTER_AUTH_SECRET_FILE: secretFile },
    });
  });
  after(async () => {
    await dv?.stop();
    await svc?.stop();
    secrets.remove();
  });

  test('doveadm user', async () => {
    const r = await dv.doveadm('user', 'alice@example.com');
    console.log(r, dv.log());
    assert.equal(r.code, 0, r.stderr);
    console.log(parseFields(r.stdout));
    const a = await dv.doveadm('auth', 'test', 'alice@example.com', 'secret');
    console.log(a);
    const b = await dv.doveadm('user', '*');
    console.log(b);
    const c = await dv.doveadm('auth', 'test', 'carol@example.com', 'carol-pw');
    console.log(c, dv.log());
  });
});
