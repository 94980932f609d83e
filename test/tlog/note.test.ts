// C2SP signed notes: byte equality with Go's golang.org/x/mod/sumdb/note on its own test
// vectors, Go's Open semantics, and the refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { base64, fromBase64, hex, utf8 } from '../../packages/tlog/src/bytes.ts';
import {
  NoteError, ed25519Verifier, formatVerifierKey, generateKey, isValidName, keyId, keyIdBytes, openNote, openNoteWith,
  parseSignerKey, parseVerifierKey, signNote, type NoteErrorCode, type NoteVerifier,
} from '../../packages/tlog/src/note.ts';
import { isWeakPublicKey } from '../../packages/tlog/src/ed25519.ts';

const load = (f: string) => JSON.parse(readFileSync(new URL(`../vectors/${f}`, import.meta.url), 'utf8'));
const go = load('sumdb-note.json');
const c2sp = load('c2sp-examples.json');
const small = load('ed25519-small-order.json');
const { peter, enoch, text, peterSig, enochSig } = go as Record<string, any>;

const noteError = (code: NoteErrorCode) => (e: unknown) => e instanceof NoteError && e.code === code;
const typeError = (param: string) => (e: unknown) => e instanceof TypeError && e.message.startsWith(`${param}:`);

test('Go vectors: generateKey from the seed gives the exact key strings', () => {
  const seed = fromBase64(peter.signerKey.split('+').slice(4).join('+')).slice(1);
  assert.equal(generateKey('PeterNeumann', seed), { signerKey: peter.signerKey, verifierKey: peter.verifierKey });
  const sk = parseSignerKey(peter.signerKey);
  assert.is(sk.verifierKey, peter.verifierKey);
  assert.is(hex(sk.id), peter.keyId);
  const vk = parseVerifierKey(peter.verifierKey);
  assert.is(vk.name, 'PeterNeumann');
  assert.is(hex(vk.id), peter.keyId);
  assert.is(vk.key, peter.verifierKey);
  assert.equal(vk.publicKey, sk.publicKey);
  assert.is(keyId('PeterNeumann', vk.publicKey), 0xc74f20a3);
  assert.is(hex(keyIdBytes('PeterNeumann', vk.publicKey)), 'c74f20a3');
  assert.is(formatVerifierKey('PeterNeumann', vk.publicKey), peter.verifierKey);
  assert.is(hex(parseVerifierKey(enoch.verifierKey).id), enoch.keyId);
});

test('Go vectors: signNote gives Go\'s exact signature line, and re-signing replaces it', () => {
  assert.is(signNote(text, peter.signerKey), go.signedByPeter);
  assert.is(signNote(text, peter.signerKey), text + '\n' + peterSig);
  assert.is(signNote(go.signedByPeter, peter.signerKey), go.signedByPeter);
  // Adding to a note signed by someone else: existing lines first, then ours (as Go's Sign).
  assert.is(signNote(text + '\n' + enochSig, peter.signerKey), text + '\n' + enochSig + peterSig);
  assert.is(signNote(text + '\n' + peterSig + enochSig, peter.signerKey), text + '\n' + enochSig + peterSig);
});

test('Go vectors: openNote (TestOpen)', () => {
  let n = openNote(text + '\n' + peterSig + enochSig, [peter.verifierKey]);
  assert.is(n.text, text);
  assert.equal(n.verified, ['PeterNeumann']);
  assert.equal(n.unverified.map((u) => [u.name, hex(u.id)]), [['EnochRoot', 'af0cfe78']]);

  n = openNote(text + '\n' + peterSig + enochSig, [peter.verifierKey, enoch.verifierKey]);
  assert.equal(n.verified, ['PeterNeumann', 'EnochRoot']);
  assert.equal(n.unverified, []);

  try {
    openNote(text + '\n' + peterSig + enochSig, []);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof NoteError && e.code === 'unverified');
    assert.is((e as NoteError).message, 'note has no verifiable signatures');
    assert.equal((e as NoteError).unverified.map((u) => u.name), ['PeterNeumann', 'EnochRoot']);
  }

  // Listing the same key twice is harmless (Go calls that ambiguous; for us it is one key).
  assert.equal(openNote(text + '\n' + peterSig, [enoch.verifierKey, peter.verifierKey, peter.verifierKey]).verified, ['PeterNeumann']);

  // Too many signatures (Go's limit is 100).
  assert.throws(() => openNote(text + '\n' + peterSig.repeat(101), [peter.verifierKey]), noteError('malformed'));
  assert.throws(() => openNote(text + '\n' + enochSig.repeat(101), []), noteError('malformed'));
  assert.equal(openNote(text + '\n' + enochSig.repeat(99) + peterSig, [peter.verifierKey]).unverified.length, 1);

  // Invalid signature by a known key.
  assert.throws(() => openNote(text + '\n' + peterSig.slice(0, 60) + 'ABCD' + peterSig.slice(60), [peter.verifierKey]),
    (e: unknown) => e instanceof NoteError && e.code === 'bad_signature' && e.message === 'invalid signature for key PeterNeumann+c74f20a3');

  // Repeated identical unverified lines are dropped, distinct ones kept (as Go).
  const enochABCD = enochSig.slice(0, 60) + 'ABCD' + enochSig.slice(60);
  n = openNote(text + '\n' + peterSig + enochSig + enochSig + enochABCD, [peter.verifierKey]);
  assert.equal(n.verified, ['PeterNeumann']);
  assert.equal(n.unverified.map((u) => [u.name, hex(u.id)]), [['EnochRoot', 'af0cfe78'], ['EnochRoot', 'af0cfe78']]);

  // Deliberate difference: Go keeps the first of two signatures by a known key and never
  // checks the second; the spec says a known key's signature MUST be verified, so we refuse.
  assert.throws(() => openNote(text + '\n' + peterSig + peterSig, [peter.verifierKey]), noteError('duplicate_signature'));

  // Go's malformed messages.
  const badMsgs = [
    text,
    text + '\n',
    text + '\n' + peterSig.slice(0, -1),
    '\x01' + text + '\n' + peterSig,
    text + '\n' + '\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=',
    text + '\n' + peterSig + 'Unexpected line.\n',
  ];
  for (const m of badMsgs) assert.throws(() => openNote(m, [peter.verifierKey]), noteError('malformed'), JSON.stringify(m));
  // "\xff" + text: invalid UTF-8 as bytes, a lone surrogate as a string.
  const bytes = utf8(text + '\n' + peterSig);
  assert.throws(() => openNote(new Uint8Array([0xff, ...bytes]), [peter.verifierKey]), noteError('malformed'));
  assert.throws(() => openNote('\ud800' + text + '\n' + peterSig, [peter.verifierKey]), noteError('malformed'));
  assert.equal(openNote(bytes, [peter.verifierKey]).verified, ['PeterNeumann']);
});

test('more malformed notes: non-canonical base64, short signature, bad prefix, CR', () => {
  const bad = [
    text + '\n' + peterSig.replace('nAM=', 'nAN='), // nonzero padding bits: Go's lax decoder would accept it
    text + '\n\u2014 PeterNeumann AAAAAA==\n', // 4 bytes: key id only
    text + '\n\u2014 PeterNeumann \n',
    text + '\n- PeterNeumann ' + peterSig.split(' ')[2],
    text + '\n\u2014PeterNeumann ' + peterSig.split(' ')[2],
    text + '\n' + peterSig.replace('\n', '\r\n'),
    text + '\n' + peterSig + '\n',
  ];
  for (const m of bad) assert.throws(() => openNote(m, [peter.verifierKey]), noteError('malformed'), JSON.stringify(m));
});

test('Go\'s note with one bit flipped, in any byte, is refused', () => {
  const good = utf8(go.signedByPeter);
  assert.equal(openNote(good, [peter.verifierKey]).verified, ['PeterNeumann']);
  // Every byte, one bit each (bit i mod 8 of byte i), to keep the test quick.
  for (let i = 0; i < good.length; i++) {
    const m = good.slice();
    const bit = i * 8 + (i % 8);
    m[i]! ^= 1 << (i % 8);
    assert.throws(() => openNote(m, [peter.verifierKey]), (e: unknown) => e instanceof NoteError, `bit ${bit}`);
  }
});

test('Go key manglings are refused (TestNewVerifier, TestNewSigner)', () => {
  for (const { key, why } of go.badVerifierKeys) assert.throws(() => parseVerifierKey(key), typeError('verifierKey'), why);
  for (const [good, parse, param] of [
    [peter.verifierKey, parseVerifierKey, 'verifierKey'],
    [peter.signerKey, parseSignerKey, 'signerKey'],
  ] as const) {
    for (let i = 0; i <= good.length; i++) {
      for (let j = i + 1; j <= good.length; j++) {
        if (i !== 0 || j !== good.length) assert.throws(() => parse(good.slice(i, j)), typeError(param), good.slice(i, j));
      }
    }
    for (let i = 0; i < good.length; i++) {
      const s = good.slice(0, i) + String.fromCharCode(good.charCodeAt(i) + 1) + good.slice(i + 1);
      assert.throws(() => parse(s), typeError(param), s);
    }
  }
});

test('key parsing: stricter than Go, and errors never quote a signer key', () => {
  assert.throws(() => parseVerifierKey(peter.verifierKey.replace('c74f20a3', 'C74F20A3')), /8 lowercase hex/);
  for (const { hex: h } of [...small.canonical, ...small.nonCanonical]) {
    const pub = Uint8Array.from(Buffer.from(h, 'hex'));
    // formatVerifierKey only formats; parseVerifierKey is where weak keys are refused.
    assert.throws(() => parseVerifierKey(formatVerifierKey('weak.example', pub)), /weak Ed25519 public key/);
    assert.ok(isWeakPublicKey(pub));
  }
  const seed64 = peter.signerKey.split('+').slice(4).join('+');
  for (const s of [peter.signerKey.replace('c74f20a3', 'c74f20a4'), peter.signerKey.replace('PeterNeumann', 'Peter')]) {
    assert.throws(() => parseSignerKey(s), (e: unknown) => e instanceof TypeError && !e.message.includes(seed64.slice(4, 20)));
  }
  assert.throws(() => parseVerifierKey(42 as unknown as string), typeError('verifierKey'));
  assert.throws(() => parseVerifierKey('x', 'keys[3]'), typeError('keys[3]'));
});

test('names follow Go\'s isValidName', () => {
  for (const ok of ['PeterNeumann', 'example.com/log42', 'ünïcode', 'a', 'a\u200bb' /* zero-width space is not a space */]) {
    assert.ok(isValidName(ok), ok);
  }
  for (const bad of ['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u0085b', 'a\u2003b', 'a\u3000b', 'a\u2028b', 'a\x01b', 'a\ud800']) {
    assert.not.ok(isValidName(bad), JSON.stringify(bad));
    assert.throws(() => generateKey(bad), typeError('name'));
  }
});

test('generateKey: fresh keys sign and open; input checks', () => {
  const a = generateKey('log.example/a');
  const b = generateKey('log.example/b', new Uint8Array(randomBytes(32)));
  const signed = signNote(signNote('hello\n', a.signerKey), b.signerKey);
  assert.equal(openNote(signed, [a.verifierKey, b.verifierKey]).verified, ['log.example/a', 'log.example/b']);
  assert.equal(openNote(signed, [b.verifierKey]).unverified.map((u) => u.name), ['log.example/a']);
  assert.throws(() => openNote(signed, [generateKey('log.example/a').verifierKey]), noteError('unverified'));
  assert.throws(() => generateKey('x', new Uint8Array(31)), typeError('seed'));
  // A note text may hold blank lines (spec); the last blank line separates the signatures.
  const para = 'para one\n\npara two\n';
  assert.is(openNote(signNote(para, a.signerKey), [a.verifierKey]).text, para);
});

test('signNote and openNote check their arguments', () => {
  assert.throws(() => signNote('no newline', peter.signerKey), typeError('text'));
  assert.throws(() => signNote('tab\there\n', peter.signerKey), typeError('text'));
  assert.throws(() => signNote('\ud800\n', peter.signerKey), typeError('text'));
  assert.throws(() => signNote(text, peter.verifierKey), typeError('signerKey'));
  assert.throws(() => signNote(text + '\n' + enochSig.repeat(100), peter.signerKey), typeError('text'));
  assert.throws(() => openNote(go.signedByPeter, 'key' as unknown as string[]), typeError('verifierKeys'));
  assert.throws(() => openNote(go.signedByPeter, [peter.verifierKey, 'nope']), typeError('verifierKeys[1]'));
  assert.throws(() => openNote(42 as unknown as string, []), typeError('note'));
});

test('two listed keys with the same name and id (a 32-bit collision) are ambiguous', () => {
  const { name, keyId: id, verifierKeys: keys } = load('keyid-collision.json') as { name: string; keyId: string; verifierKeys: string[] };
  assert.equal(keys.map((k) => hex(parseVerifierKey(k).id)), [id, id]);
  const fake = `text\n\n\u2014 ${name} ${base64(new Uint8Array([...Buffer.from(id, 'hex'), ...new Uint8Array(64)]))}\n`;
  assert.throws(() => openNote(fake, keys), noteError('ambiguous_key'));
  assert.throws(() => openNote(fake, [keys[0]!]), noteError('bad_signature'));
  // Unused, the ambiguity is harmless (as Go).
  assert.equal(openNote(text + '\n' + peterSig, [...keys, peter.verifierKey]).verified, ['PeterNeumann']);
});

test('C2SP signed-note example: parses; its key is not ours, so it is unverified', () => {
  try {
    openNote(c2sp.signedNote.note, [peter.verifierKey]);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof NoteError && e.code === 'unverified');
    assert.equal((e as NoteError).unverified.map((u) => u.name), [c2sp.signedNote.keyName]);
  }
});

test('the verifier seam: openNoteWith takes any NoteVerifier, as Go\'s note.Verifiers', () => {
  const peterV = ed25519Verifier(peter.verifierKey);
  const n = openNoteWith(go.signedByPeter, [peterV]);
  assert.equal(n.verified, ['PeterNeumann']);
  assert.is(n.signatures[0]!.verifier, peterV);
  assert.is(n.signatures[0]!.sig.length, 64);
  // A verifier that says no, or throws, has not verified: a known key's bad signature.
  const no: NoteVerifier = { ...peterV, verify: () => false };
  const boom: NoteVerifier = { ...peterV, verify: () => { throw new Error('x'); } };
  for (const v of [no, boom]) assert.throws(() => openNoteWith(go.signedByPeter, [v]), noteError('bad_signature'));
  // The same key twice is one key; two different keys with one name and id are ambiguous.
  assert.equal(openNoteWith(go.signedByPeter, [peterV, ed25519Verifier(peter.verifierKey)]).verified, ['PeterNeumann']);
  assert.throws(() => openNoteWith(go.signedByPeter, [peterV, { ...peterV, key: 'other' }]), noteError('ambiguous_key'));
  assert.throws(() => openNoteWith(go.signedByPeter, [{ name: 'x' } as unknown as NoteVerifier]), typeError('verifiers[0]'));
});

test.run();
