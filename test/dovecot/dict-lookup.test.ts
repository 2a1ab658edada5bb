import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { DictIterateFlag } from '../../protocol/dict.js';
import { Directory } from '../../src/directory/directory.js';
import { DEFAULT_ADDRESS_RULES } from '../../src/directory/resolve.js';
import { DictLookup, loggableDictKey, ROWS_PENDING, type DictIteration, type DictValueOptions } from '../../src/lookup/dict-lookup.js';
import { ResolverCache } from '../../src/lookup/resolver-cache.js';
import { ConfigError } from '../../src/errors.js';
import { testConfig } from '../helpers/service.js';

const DATA = {
  domains: ['example.com', 'exämple.net'],
  mailboxes: [
    { address: 'alice@example.com', aliases: ['a.smith@example.com'], quotaBytes: 1536 * 1024 * 1024, passwordHash: '{SHA512-CRYPT}$6$x' },
    { address: 'jörg@exämple.net', passwordHash: '{PLAIN}j' },
    { address: 'off@example.com', enabled: false },
    { address: 'off2@example.com', enabled: false, passwordHash: '{PLAIN}o' },
    { address: '..@example.com' },
  ],
};

const OPTIONS: DictValueOptions = {
  userdb: { uid: 'vmail', gid: '%d', home: '/srv/%d/%n', mail: 'maildir:/srv/%u/%%Maildir', quotaRule: '*:storage=%q' },
  passdb: { disabledMode: 'nologin', disabledReason: 'Account disabled' },
};

function lookupOver(directory: Directory | undefined, options = OPTIONS): DictLookup {
  const source = { current: () => directory, unavailableReason: () => 'directory not loaded yet' };
  return new DictLookup(source, new ResolverCache(source, DEFAULT_ADDRESS_RULES), options);
}

const dict = lookupOver(Directory.build(DATA, { strict: true, source: 'test' }));
const json = (key: string): Record<string, string> => {
  const r = dict.lookup(key);
  assert.equal(r.kind, 'found', `${key}: ${JSON.stringify(r)}`);
  return JSON.parse((r as { value: string }).value);
};

describe('dict userdb values', () => {
  test('expand %u %n %d %% and render the quota in Dovecot units', () => {
    assert.deepEqual(json('shared/userdb/alice@example.com'), {
      uid: 'vmail', gid: 'example.com', home: '/srv/example.com/alice', mail: 'maildir:/srv/alice@example.com/%Maildir', quota_rule: '*:storage=1536M',
    });
  });

  test('omit empty templates and quota_rule for a mailbox without quota', () => {
    const bare = lookupOver(Directory.build(DATA, { strict: true, source: 't' }), { ...OPTIONS, userdb: { uid: '', gid: '', home: '/h/%n', mail: '', quotaRule: '*:storage=%q' } });
    assert.deepEqual(JSON.parse((bare.lookup('shared/userdb/jörg@exämple.net') as { value: string }).value), { home: '/h/jörg' });
  });

  test('find the mailbox for case, IDN and +tag forms, and name it in `user`', () => {
    assert.equal(json('shared/userdb/JÖRG@xn--exmple-cua.net').user, 'jörg@exämple.net');
    assert.equal(json('shared/userdb/Alice+news@Example.com').user, 'alice@example.com');
    assert.equal(json('shared/userdb/alice@example.com').user, undefined);
  });

  test('answer not-found for aliases, disabled mailboxes and odd keys', () => {
    for (const key of ['shared/userdb/a.smith@example.com', 'shared/userdb/off@example.com', 'shared/userdb/"q"@example.com', 'shared/userdb/', 'shared/userdb/[1.2.3.4]']) {
      assert.deepEqual(dict.lookup(key), { kind: 'not-found' }, key);
    }
  });

  test('refuse (F) a local part that would escape the home directory', () => {
    assert.equal(dict.lookup('shared/userdb/..@example.com').kind, 'unavailable');
  });
});

describe('dict passdb values', () => {
  test('return the hash, and the canonical user for an alias or another spelling', () => {
    assert.deepEqual(json('shared/passdb/alice@example.com'), { password: '{SHA512-CRYPT}$6$x' });
    assert.deepEqual(json('shared/passdb/A.Smith@example.com'), { password: '{SHA512-CRYPT}$6$x', user: 'alice@example.com' });
  });

  test('say not-found for a mailbox without a hash, so a passdb chain goes on', () => {
    assert.deepEqual(dict.lookup('shared/passdb/..@example.com'), { kind: 'not-found' });
  });

  test('refuse a disabled mailbox with nologin and the reason, never with nopassword', () => {
    assert.deepEqual(json('shared/passdb/off2@example.com'), { password: '{PLAIN}o', nologin: 'Y', reason: 'Account disabled' });
    assert.deepEqual(dict.lookup('shared/passdb/off@example.com'), { kind: 'not-found' }, 'nothing to check: refused');
  });

  test('with disabledMode fail, refuse a disabled mailbox outright (Postfix SASL ignores nologin)', () => {
    const strict = lookupOver(Directory.build(DATA, { strict: true, source: 't' }), { ...OPTIONS, passdb: { disabledMode: 'fail', disabledReason: 'x' } });
    assert.deepEqual(JSON.parse((strict.lookup('shared/passdb/OFF2@example.com') as { value: string }).value), { user: 'off2@example.com', fail: 'Y' });
  });
});

describe('dict passdb: several passwords, app passwords, expiry', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const NOW = Date.parse('2026-06-01T12:00:00Z');
  let now = NOW;
  const data = {
    mailboxes: [
      {
        address: 'ann@example.com', passwordHash: ['{BLF-CRYPT}$2y$05$old', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$new'],
        appPasswords: [
          { id: 'phone', hash: `{SHA256.HEX}${sha('key-phone')}` },
          { id: 'laptop', hash: `{SHA256.HEX}${sha('key-laptop')}`, expires: '2026-06-01T13:00:00Z' },
        ],
      },
      { address: 'ben@example.com', appPasswords: [{ id: 'ben', hash: `{SHA256.HEX}${sha('key-ben')}` }] },
      { address: 'cid@example.com', enabled: false, passwordHash: '{PLAIN}c', appPasswords: [{ id: 'cid', hash: `{SHA256.HEX}${sha('key-cid')}` }] },
    ],
  };
  const source = (d: Directory) => ({ current: () => d, unavailableReason: () => '' });
  const dir = Directory.build(data, { strict: true, source: 't' });
  const failing = new DictLookup(source(dir), new ResolverCache(source(dir), DEFAULT_ADDRESS_RULES), { ...OPTIONS, passdb: { disabledMode: 'fail', disabledReason: 'x' } }, () => now);
  const get = (key: string) => {
    const r = failing.lookup(key);
    return r.kind === 'found' ? JSON.parse(r.value) : r.kind;
  };

  test('the digest of an app password returns that app password\'s hash; both of a user\'s work', () => {
    assert.deepEqual(get(`shared/passdb/ann@example.com/${sha('key-phone')}`), { password: `{SHA256.HEX}${sha('key-phone')}` });
    assert.deepEqual(get(`shared/passdb/ann@example.com/${sha('key-laptop')}`), { password: `{SHA256.HEX}${sha('key-laptop')}` });
  });

  test('any other digest gets the first hash, later slots the next ones, then not-found', () => {
    assert.deepEqual(get(`shared/passdb/ann@example.com/${sha('typed-password')}`), { password: '{BLF-CRYPT}$2y$05$old' });
    assert.deepEqual(get(`shared/passdb/ann@example.com/${sha('key-ben')}`), { password: '{BLF-CRYPT}$2y$05$old' }, "another user's key is not ann's");
    assert.deepEqual(get('shared/passdb/ann@example.com/hash2'), { password: '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$new' });
    assert.equal(get('shared/passdb/ann@example.com/hash3'), 'not-found');
    assert.equal(get(`shared/passdb/ben@example.com/${sha('typed-password')}`), 'not-found', 'ben has only app passwords');
  });

  test('an app password stops matching the moment it expires, without a sync', () => {
    now = Date.parse('2026-06-01T13:00:00Z');
    try {
      assert.deepEqual(get(`shared/passdb/ann@example.com/${sha('key-laptop')}`), { password: '{BLF-CRYPT}$2y$05$old' });
      assert.deepEqual(get(`shared/passdb/ann@example.com/${sha('key-phone')}`), { password: `{SHA256.HEX}${sha('key-phone')}` });
    } finally {
      now = NOW;
    }
  });

  test('a disabled mailbox fails on every slot, whatever the password', () => {
    for (const key of [`shared/passdb/cid@example.com/${sha('key-cid')}`, 'shared/passdb/cid@example.com', 'shared/passdb/cid@example.com/hash2']) {
      assert.deepEqual(get(key), { fail: 'Y' }, key);
    }
  });

  test('the password digest never reaches a log line', () => {
    const key = `shared/passdb/ann@example.com/${sha('key-phone')}`;
    assert.equal(loggableDictKey(key), 'shared/passdb/ann@example.com/<sha256>');
    assert.equal(loggableDictKey('shared/userdb/ann@example.com'), 'shared/userdb/ann@example.com');
  });

  test('a directory refuses an app password given as a key instead of a hash', () => {
    assert.throws(() => Directory.build({ mailboxes: [{ address: 'x@example.com', appPasswords: [{ id: 'a', hash: 'plain-key' }] }] }, { strict: true, source: 't' }), /appPasswords\[0\]: hash must be a \{SCHEME\}hash/);
  });
});

describe('dict iteration', () => {
  const keys = (flags: number, path: string, maxRows = 0): string[] => {
    const it = dict.iterate({ flags, maxRows, paths: [path] });
    assert.equal(it.kind, 'rows');
    // Rows only: ROWS_PENDING marks where the server would let a turn pass (the sort).
    return [...(it as Extract<DictIteration, { kind: 'rows' }>).rows].flatMap((r) => (r === ROWS_PENDING ? [] : [r[0]]));
  };

  test('lists mailboxes that receive mail, sorted, skipping unsafe ones', () => {
    assert.deepEqual(keys(0, 'shared/userdb/'), ['shared/userdb/alice@example.com', 'shared/userdb/jörg@exämple.net']);
  });

  test('treats the path as a prefix, lists children of parents only with RECURSE', () => {
    assert.deepEqual(keys(0, 'shared/userdb/j'), ['shared/userdb/jörg@exämple.net']);
    assert.deepEqual(keys(0, 'shared/'), []);
    assert.equal(keys(DictIterateFlag.Recurse, 'shared/').length, 2);
    assert.deepEqual(keys(0, 'shared/passdb/'), [], 'password hashes are never listed');
  });

  test('fails (not empty) for priv/ paths and before the directory is loaded', () => {
    assert.equal(dict.iterate({ flags: 0, maxRows: 0, paths: ['priv/quota/'] }).kind, 'unknown-map');
    assert.equal(lookupOver(undefined).iterate({ flags: 0, maxRows: 0, paths: ['shared/userdb/'] }).kind, 'unavailable');
    assert.equal(lookupOver(undefined).lookup('shared/passdb/alice@example.com').kind, 'unavailable');
  });
});

describe('dict configuration', () => {
  test('refuses an unknown template variable at load time, naming the key', () => {
    assert.throws(() => testConfig({ dict: { userdb: { home: '/srv/%z/%n' } } }), (e: unknown) => e instanceof ConfigError && /dict\.userdb\.home/.test(e.message) && /%z/.test(e.message));
    assert.throws(() => testConfig({ dict: { userdb: { home: '/srv/%q' } } }), ConfigError, '%q only in quotaRule');
  });
});
