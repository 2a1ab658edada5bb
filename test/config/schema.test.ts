import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, SCHEMA } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';

type Leaf = { doc?: string; format?: unknown; default?: unknown; env?: string; sensitive?: boolean };

function leaves(node: Record<string, unknown>, path = ''): [string, Leaf][] {
  return Object.entries(node).flatMap(([k, v]) => {
    const p = path ? `${path}.${k}` : k;
    const leaf = v as Leaf;
    return leaf && typeof leaf === 'object' && 'default' in leaf ? [[p, leaf]] : leaves(v as Record<string, unknown>, p);
  });
}

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('configuration schema', () => {
  for (const [key, leaf] of leaves(SCHEMA)) {
    test(`${key} has doc, format, default and a MAILROSTER_ env var, and README documents it`, () => {
      assert.ok(leaf.doc && leaf.doc.length > 10, 'doc');
      assert.ok(leaf.format !== undefined, 'format');
      assert.match(leaf.env ?? '', /^MAILROSTER_[A-Z0-9_]+$/, 'env');
      assert.ok(README.includes(`\`${key}\``), 'README mentions the key');
    });
  }

  test('environment variables reach the config', () => {
    const { config } = loadConfig({ env: { MAILROSTER_SOCKETMAP_LISTEN: '127.0.0.1:1234,/run/x.sock', MAILROSTER_ADDRESSES_RECIPIENT_DELIMITER: '+-' } });
    assert.deepEqual(config.socketmap.listen, ['127.0.0.1:1234', '/run/x.sock']);
    assert.equal(config.addresses.recipientDelimiter, '+-');
  });

  test('every error is reported at once, and unknown keys are errors', () => {
    assert.throws(
      () => loadConfig({ env: {}, overrides: { socketmap: { listen: ['nope nope'], socketMode: 'rw' }, bogus: true, workers: 2 } }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /socketmap\.listen/);
        assert.match(err.message, /socketmap\.socketMode/);
        assert.match(err.message, /bogus/);
        // A rule joining two keys is reported with the rest, not after they are fixed.
        assert.match(err.message, /workers: more than one worker needs the Redis store/);
        assert.match(err.message, /\(4 error\(s\)\)/);
        return true;
      },
    );
  });

  test('the loaded config is frozen', () => {
    const { config } = loadConfig({ env: {} });
    assert.throws(() => ((config.socketmap as { maxRequestBytes: number }).maxRequestBytes = 1), TypeError);
  });
});

describe('secrets', () => {
  // The Redis password inside store.url has its own file key; the rest of the URL is not secret.
  const FILE_KEY: Record<string, string> = { 'store.url': 'store.passwordFile' };
  const sensitive = leaves(SCHEMA).filter(([, leaf]) => leaf.sensitive).map(([key]) => key);

  test('every secret key can be read from a file', () => {
    assert.ok(sensitive.length >= 4);
    const keys = new Set(leaves(SCHEMA).map(([k]) => k));
    for (const key of sensitive) assert.ok(keys.has(FILE_KEY[key] ?? `${key}File`), `${key} has ${FILE_KEY[key] ?? `${key}File`}`);
  });

  test('print-config masks every secret key', () => {
    const overrides: Record<string, unknown> = {};
    for (const key of sensitive) {
      const path = key.split('.');
      let node = overrides;
      for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
      node[path.at(-1)!] = key === 'store.url' ? 'redis://u:marker-secret@127.0.0.1:6379' : `marker-secret-${key}`;
    }
    const { redacted } = loadConfig({ env: {}, overrides });
    assert.doesNotMatch(redacted(), /marker-secret/);
  });
});
