import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { lookupKey } from '../../src/directory/address.js';
import type { DirectoryData } from '../../src/directory/directory-data.js';
import { Directory } from '../../src/directory/directory.js';
import { patchDirectory } from '../../src/directory/indexed-directory.js';
import { hashAscii, scanKey } from '../../src/directory/key-bytes.js';
import { DEFAULT_ADDRESS_RULES, type AddressRules } from '../../src/directory/resolve.js';
import { ResolverCache } from '../../src/lookup/resolver-cache.js';
import { lookupSocketmap, SocketmapAnswers, SOCKETMAP_NAMES } from '../../src/lookup/socketmap-lookup.js';
import { LookupCounters } from '../../src/ops/lookup-counters.js';
import { socketmapFrame } from '../../src/servers/replies.js';
import { ReplyWriter } from '../../src/servers/reply-writer.js';

// The server answers canonical keys straight from the request bytes and copies mailbox replies
// from the snapshot's key bytes. These properties hold it to the string path (lookupSocketmap,
// which the resolver tables test) byte for byte, over directories small enough that keys,
// aliases, extensions and catch-alls collide all the time.

const RUNS = { numRuns: 300 };
const locals = fc.constantFrom('a', 'b', 'ab', 'a+b', 'b-a', 'x.y', 'A', 'jörg', '"q"', 'a b');
const domains = fc.constantFrom('d.example', 'e.example', 'bücher.example');
const address = fc.tuple(locals, domains).map(([l, d]) => `${l}@${d}`);
const directory = fc.record({
  mailboxes: fc.uniqueArray(fc.record({
    address,
    aliases: fc.uniqueArray(fc.oneof(address, domains.map((d) => `@${d}`)), { maxLength: 3 }),
    enabled: fc.boolean(),
  }), { maxLength: 8, selector: (m) => lookupKey(m.address) }),
  lists: fc.uniqueArray(fc.record({ address, members: fc.array(address, { minLength: 1, maxLength: 3 }), senders: fc.array(address, { maxLength: 2 }) }), { maxLength: 2, selector: (l) => lookupKey(l.address) }),
});
/** A query key: an address in any case, with or without an extension, or something odd. */
const queryKey = fc.oneof(
  address,
  address.map((a) => a.toUpperCase()),
  fc.tuple(locals, fc.constantFrom('+x', '-y', '+'), domains).map(([l, e, d]) => `${l}${e}@${d}`),
  fc.constantFrom('d.example', '@d.example', 'a@', '@', 'a@d', 'a@d.example.', 'a@-d.example', 'a@d..example', 'a@xn--bcher-kva.example', ''),
);
const rules = fc.record({ recipientDelimiter: fc.constantFrom('+', '+-', '', '+ö'), propagateExtension: fc.boolean(), acceptDisabled: fc.boolean() });

/** The server path's reply bytes for `map key`. */
/** Everything `out` holds, as one Buffer (what the socket would be given). */
function taken(out: ReplyWriter): Buffer {
  const chunks: Buffer[] = [];
  out.writeTo({ write: (c: Buffer) => chunks.push(c) });
  return Buffer.concat(chunks);
}

function served(dir: Directory, r: AddressRules, map: string, key: string): Buffer {
  const answers = new SocketmapAnswers(new ResolverCache({ current: () => dir, unavailableReason: () => 'x' }, r), new LookupCounters());
  const out = new ReplyWriter();
  answers.write(Buffer.from(`${map} ${key}`, 'utf8'), out);
  return taken(out);
}

/** The string path's reply bytes, framed the one way replies.ts frames results. */
function expected(dir: Directory, r: AddressRules, map: string, key: string): Buffer {
  return socketmapFrame(lookupSocketmap(new ResolverCache({ current: () => dir, unavailableReason: () => 'x' }, r), map, key));
}

function build(data: DirectoryData): Directory | undefined {
  const dir = Directory.build(data, { strict: false, source: 'test' });
  return dir.mailboxCount > 0 ? dir : undefined;
}

describe('socketmap answers from request bytes', () => {
  test('give exactly the string path reply for every map, key and rule set', () => {
    fc.assert(fc.property(directory, rules, fc.constantFrom(...SOCKETMAP_NAMES), queryKey, (data, r, map, key) => {
      const dir = build(data);
      if (dir) assert.deepEqual(served(dir, r, map, key).toString(), expected(dir, r, map, key).toString(), `${map} ${key}`);
    }), RUNS);
  });

  test('still agree after patches left dead keys and extra layers in the snapshot', () => {
    fc.assert(fc.property(directory, directory, rules, fc.constantFrom(...SOCKETMAP_NAMES), queryKey, (data, next, r, map, key) => {
      const base = build(data);
      if (!base) return;
      // Replace some mailboxes, delete others: their keys die in the base layer.
      const put = next.mailboxes.filter((m) => lookupKey(m.address) !== undefined && !data.mailboxes.some((o) => lookupKey(o.address) === lookupKey(m.address) && o !== m));
      const dir = patchDirectory(base, { mailboxes: { put, del: data.mailboxes.slice(0, 1).map((m) => m.address.toLowerCase()) }, lists: { put: [], del: [] } });
      assert.deepEqual(served(dir, r, map, key).toString(), expected(dir, r, map, key).toString(), `${map} ${key}`);
    }), RUNS);
  });

  test('carry an extension into the target the way propagate_unmatched_extensions does', () => {
    const dir = build({ mailboxes: [
      { address: 'a@d.example', aliases: ['x@d.example', '@d.example'] },
      { address: 'jörg@d.example', aliases: ['j@d.example'] },
      { address: 'b+own@d.example', aliases: ['y@d.example'] },
    ] })!;
    const ask = (r: AddressRules, map: string, key: string) => served(dir, r, map, key).toString();
    const r = DEFAULT_ADDRESS_RULES;
    const ok = (v: string) => `${Buffer.byteLength(v) + 3}:OK ${v},`;
    assert.equal(ask(r, 'alias', 'x+tag@d.example'), ok('a+tag@d.example'));
    assert.equal(ask(r, 'alias', 'nobody+tag@d.example'), ok('a+tag@d.example'));
    assert.equal(ask(r, 'alias', 'nobody@d.example'), ok('a@d.example'));
    assert.equal(ask(r, 'alias', 'y+tag@d.example'), ok('b+own@d.example'));
    assert.equal(ask(r, 'mailbox', 'a+tag@d.example'), ok('d.example/a/'));
    assert.equal(ask(r, 'senders', 'x+tag@d.example'), ok('a@d.example'));
    assert.equal(ask({ ...r, propagateExtension: false }, 'alias', 'x+tag@d.example'), ok('a@d.example'));
    // 'ö' splits jörg's own local part, so nothing is carried into it.
    const umlaut = { ...r, recipientDelimiter: '+ö' };
    assert.equal(ask(umlaut, 'alias', 'j+tag@d.example'), expected(dir, umlaut, 'alias', 'j+tag@d.example').toString());
    assert.equal(ask(umlaut, 'alias', 'j+tag@d.example'), ok('jörg@d.example'));
  });

  test('repeated list and domain answers follow the snapshot when it changes', () => {
    const members = (tag: string) => Array.from({ length: 60 }, (_, i) => `${tag}${i}@elsewhere.example`);
    const data = (tag: string, domains: string[]) => ({ domains, mailboxes: [{ address: 'a@d.example' }], lists: [{ address: 'big@d.example', members: members(tag) }] });
    let dir = build(data('one', ['d.example', 'e.example']))!;
    const answers = new SocketmapAnswers(new ResolverCache({ current: () => dir, unavailableReason: () => 'x' }, DEFAULT_ADDRESS_RULES), new LookupCounters());
    const ask = (map: string, key: string) => {
      const out = new ReplyWriter();
      answers.write(Buffer.from(`${map} ${key}`), out);
      return taken(out).toString();
    };
    for (let i = 0; i < 2; i++) {
      assert.ok(ask('alias', 'big@d.example').endsWith(`${members('one').join(',')},`));
      assert.equal(ask('domain', 'e.example'), '12:OK e.example,');
    }
    dir = build(data('two', ['d.example']))!;
    assert.ok(ask('alias', 'big@d.example').endsWith(`${members('two').join(',')},`));
    assert.equal(ask('domain', 'e.example'), '9:NOTFOUND ,');
  });

  test('an unknown map is PERM and a request without a space is a protocol error', () => {
    const dir = build({ mailboxes: [{ address: 'a@d.example' }] })!;
    assert.match(served(dir, DEFAULT_ADDRESS_RULES, 'virtual', 'a@d.example').toString(), /^\d+:PERM unknown map "virtual"/);
    const answers = new SocketmapAnswers(new ResolverCache({ current: () => dir, unavailableReason: () => 'x' }, DEFAULT_ADDRESS_RULES), new LookupCounters());
    assert.throws(() => answers.write(Buffer.from('mailbox'), new ReplyWriter()), { code: 'SOCKETMAP_BAD_REQUEST' });
  });
});

describe('scanKey', () => {
  // Anything refused takes the string path, so accepting is what must be right; refusing a plain
  // key would only cost speed.
  test('accepts only keys lookupKey keeps as they are, and every such key with a plain domain', () => {
    const plainDomain = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
    const chars = fc.constantFrom(...'aZ0.-+@"_ é'.split(''), 'b', 'c', '.', '@');
    fc.assert(fc.property(fc.array(chars, { maxLength: 24 }).map((c) => c.join('')), (s) => {
      const bytes = Buffer.from(s, 'utf8');
      const scan = { at: 0, domainHash: 0 };
      const h = scanKey(bytes, 0, bytes.length, scan);
      const canonical = hashAscii(s) >= 0 && lookupKey(s) === s;
      if (h >= 0) assert.ok(canonical, s);
      if (canonical && plainDomain.test(s.slice(s.indexOf('@') + 1))) assert.ok(h >= 0, s);
      if (h >= 0) {
        assert.equal(h, hashAscii(s));
        assert.equal(scan.at, s.indexOf('@'));
        assert.equal(scan.domainHash, hashAscii(s.slice(s.indexOf('@'))));
      }
    }), { numRuns: 2000 });
  });
});

describe('ReplyWriter', () => {
  test('a batch begun in a full slab moves whole to the next one, and slices written stay intact', () => {
    const out = new ReplyWriter();
    const key = Buffer.from('user@d.example');
    const written: Buffer[] = [];
    const sink = { write: (c: Buffer) => written.push(c) };
    let expectedText = '';
    for (let i = 0; i < 5000; i++) {
      out.ok(key, 0, key.length);
      out.okMailbox(key, 0, key.length);
      expectedText += '17:OK user@d.example,18:OK d.example/user/,';
      if (i % 7 === 0) out.writeTo(sink);
    }
    out.writeTo(sink);
    const count = written.length;
    out.writeTo(sink);
    assert.equal(written.length, count, 'nothing pending, nothing written');
    assert.equal(Buffer.concat(written).toString(), expectedText);
  });

  test('large frames go out as they are, in order, and rewind drops a half-written reply', () => {
    const out = new ReplyWriter();
    const big = Buffer.alloc(100_000, 0x61);
    const list = Buffer.alloc(2000, 0x62);
    out.frame(Buffer.from('1:x,'));
    const mark = out.pendingBytes;
    out.frame(big);
    out.rewind(mark);
    out.frame(list);
    out.ok(Buffer.from('a@d.example'), 0, 11);
    const written: Buffer[] = [];
    out.writeTo({ write: (c: Buffer) => written.push(c) });
    assert.ok(written.includes(list), 'the large frame itself, not a copy');
    assert.equal(Buffer.concat(written).toString(), `1:x,${list.toString()}14:OK a@d.example,`);
    // A mark inside the slab part after a large frame drops only what followed it.
    out.frame(list);
    out.ok(Buffer.from('a@d.example'), 0, 11);
    const after = out.pendingBytes;
    out.ok(Buffer.from('b@d.example'), 0, 11);
    out.rewind(after);
    assert.equal(taken(out).toString(), `${list.toString()}14:OK a@d.example,`);
  });
});
