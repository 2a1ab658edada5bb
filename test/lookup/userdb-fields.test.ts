import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Mailbox } from '../../src/directory/directory.js';
import { UserdbFieldBuilder, type UserdbTemplates } from '../../src/lookup/userdb-fields.js';

const TEMPLATES: UserdbTemplates = { uid: 'vmail', gid: '5000', home: '/var/mail/%d/%n', mail: 'maildir:~/Maildir:LAYOUT=fs:INDEX=/var/idx/%u', quotaRule: '*:storage=%q' };
const mailbox = (quotaBytes?: number): Mailbox => ({ address: 'alice@example.com', key: 'alice@example.com', local: 'alice', domain: 'example.com', aliases: [], enabled: true, quotaBytes, passwordHashes: [], appPasswords: [] });

describe('userdb fields from the one template set', () => {
  test('2.3: mail and quota_rule as written; user only when asked by another name', () => {
    const b = new UserdbFieldBuilder(TEMPLATES, '2.3');
    assert.deepEqual(b.fields(mailbox(2 ** 31), 'alice@example.com'), [
      ['uid', 'vmail'], ['gid', '5000'], ['home', '/var/mail/example.com/alice'],
      ['mail', 'maildir:~/Maildir:LAYOUT=fs:INDEX=/var/idx/alice@example.com'], ['quota_rule', '*:storage=2G'],
    ]);
    assert.deepEqual(b.fields(mailbox(), 'Alice+x@example.com')[0], ['user', 'alice@example.com']);
  });

  test('2.4: mail split into mail_driver, mail_path and the settings that replaced its parameters; quota_storage_size', () => {
    const b = new UserdbFieldBuilder(TEMPLATES, '2.4');
    assert.deepEqual(b.fields(mailbox(512 * 2 ** 20), 'alice@example.com'), [
      ['uid', 'vmail'], ['gid', '5000'], ['home', '/var/mail/example.com/alice'],
      ['mail_driver', 'maildir'], ['mail_path', '~/Maildir'], ['mailbox_list_layout', 'fs'], ['mail_index_path', '/var/idx/alice@example.com'],
      ['quota_storage_size', '512M'],
    ]);
    // No quota on the mailbox, or an empty quotaRule: no quota field at all.
    assert.ok(!b.fields(mailbox(), 'alice@example.com').some(([k]) => k === 'quota_storage_size'));
    const noQuota = new UserdbFieldBuilder({ ...TEMPLATES, quotaRule: '' }, '2.4');
    assert.ok(!noQuota.fields(mailbox(2 ** 30), 'alice@example.com').some(([k]) => k === 'quota_storage_size'));
  });

  test('empty templates are left out; a bare driver sends mail_driver only; an unknown parameter is refused', () => {
    const empty = new UserdbFieldBuilder({ uid: '', gid: '', home: '', mail: '', quotaRule: '' }, '2.4');
    assert.deepEqual(empty.fields(mailbox(2 ** 30), 'alice@example.com'), []);
    assert.deepEqual(new UserdbFieldBuilder({ ...TEMPLATES, mail: 'sdbox' }, '2.4').fields(mailbox(), 'alice@example.com').filter(([k]) => k.startsWith('mail')), [['mail_driver', 'sdbox']]);
    assert.throws(() => new UserdbFieldBuilder({ ...TEMPLATES, mail: 'maildir:~/M:FULLDIRNAME=x' }, '2.4'), /"FULLDIRNAME=x" has no Dovecot 2\.4 equivalent/);
    // 2.3 takes whatever mail_location syntax Dovecot 2.3 takes.
    assert.doesNotThrow(() => new UserdbFieldBuilder({ ...TEMPLATES, mail: 'maildir:~/M:FULLDIRNAME=x' }, '2.3'));
  });
});
