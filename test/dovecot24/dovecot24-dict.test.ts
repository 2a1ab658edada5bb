import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { AUTH_TEST_YAML } from '../helpers/auth-directory.js';
import { missingDovecot24, startDovecot24, type Dovecot24Instance } from '../helpers/dovecot24-instance.js';
import { startFileService } from '../helpers/service.js';

// Dict stays in 2.4 (quota_clone, last_login, attributes); its client speaks protocol major 4.
const DICT_BLOCK = `dict mailroster {
  driver = proxy
  dict_proxy_socket_path = DIR/dict.sock
  dict_proxy_name = mailroster
}
`;

describe("Dovecot 2.4's dict client (protocol major 4) against mailroster's dict socket", { skip: missingDovecot24() }, () => {
  let dv: Dovecot24Instance;
  let svc: Awaited<ReturnType<typeof startFileService>>;

  before(async () => {
    dv = await startDovecot24({ extraConf: DICT_BLOCK });
    // The socket sits in the bind-mounted folder: the same path inside and outside the root.
    svc = await startFileService(AUTH_TEST_YAML, { dict: { listen: [join(dv.dir, 'dict.sock')], userdb: { home: '/var/mail/%d/%n' } } });
  });
  after(async () => {
    await dv?.stop();
    await svc?.stop();
  });

  test('doveadm dict get returns the userdb value; the client said HELLO with major 4', async () => {
    const r = await dv.doveadm('dict', 'get', 'mailroster', 'shared/userdb/Alice@Example.com');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { user: 'alice@example.com', uid: '5000', gid: '5000', home: '/var/mail/example.com/alice', quota_rule: '*:storage=2G' });
    const hellos = svc.logs().filter((l) => l.msg === 'dict hello');
    assert.ok(hellos.length > 0 && hellos.every((l) => l.major === 4), JSON.stringify(hellos));
  });

  test('doveadm dict iter lists the userdb keys (never passdb ones), -V without values', async () => {
    const r = await dv.doveadm('dict', 'iter', 'mailroster', 'shared/userdb/');
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
    assert.deepEqual(rows.map((row) => row[0]!.replace(/[^\x20-\x7e]/g, '')), ['shared/userdb/alice@example.com', 'shared/userdb/bob@example.com', 'shared/userdb/oddone@example.com']);
    assert.equal(JSON.parse(rows[1]![1]!).home, '/var/mail/example.com/bob');
    const deep = await dv.doveadm('dict', 'iter', '-R', '-V', 'mailroster', 'shared/');
    assert.doesNotMatch(deep.stdout, /passdb/);
  });

  test('a key outside mailroster\'s key spaces fails (rc 75) instead of saying "not found"; writes are refused', async () => {
    const r = await dv.doveadm('dict', 'get', 'mailroster', 'shared/users/alice@example.com');
    assert.equal(r.code, 75);
    assert.match(r.stderr, /dict-server returned failure: mailroster holds only shared\/userdb/);
    const set = await dv.doveadm('dict', 'set', 'mailroster', 'shared/foo', 'bar');
    assert.notEqual(set.code, 0);
    assert.match(set.stderr, /mailroster is read-only/);
  });
});
