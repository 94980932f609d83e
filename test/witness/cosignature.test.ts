// C2SP tlog-cosignature v1.0.1 (cosignature/v1) against public vectors: sigsum-ts's three
// real witnesses (2 of 3 accept, any flipped byte refuses), Sunlight's skylight witness
// (the log's own type-0x05 line is unknown, so ignored), and our own signer round trip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  NoteError, addSignatureLines, cosignLine, cosignatureKeyId, cosignatureTimestamp, cosignatureVerifier,
  ed25519Verifier, formatCheckpoint, fromBase64, generateCosignerKey, generateKey, hex, noteVerifier, openNote,
  openNoteWith, parseCosignerKey, signNote, utf8,
} from '../../packages/tlog/src/index.ts';

const load = (f: string) => JSON.parse(readFileSync(new URL(`../vectors/${f}`, import.meta.url), 'utf8'));
const sigsum = load('witness-sigsum-ts.json') as { note: string; time: number; logKey: string; witnessKeys: string[] };
const skylight = load('witness-skylight.json') as { note: string; time: number; witnessKey: string };

/** How many of the witnesses validly cosigned, or an error code. */
function cosigners(note: string | Uint8Array, keys: string[]): string[] | string {
  try {
    return openNoteWith(note, keys.map((k) => cosignatureVerifier(k))).verified;
  } catch (e) {
    return e instanceof NoteError ? e.code : String(e);
  }
}

test('sigsum-ts: the log signature and three cosignatures verify; timestamps read', () => {
  const all = openNoteWith(sigsum.note, [ed25519Verifier(sigsum.logKey), ...sigsum.witnessKeys.map((k) => cosignatureVerifier(k))]);
  assert.equal(all.verified, [sigsum.logKey.split('+')[0], 'test1.example', 'test2.example', 'test3.example']);
  assert.equal(all.unverified, []);
  for (const s of all.signatures.slice(1)) assert.is(cosignatureTimestamp(s.sig), sigsum.time);
  // 2 of 3: any two keys verify on their own.
  assert.equal(cosigners(sigsum.note, sigsum.witnessKeys.slice(0, 2)), ['test1.example', 'test2.example']);
  // Key ids are SHA-256(name || 0x0A || 0x04 || pub)[:4].
  for (const k of sigsum.witnessKeys) {
    const v = cosignatureVerifier(k);
    assert.is(hex(cosignatureKeyId(v.name, v.publicKey)), k.split('+')[1]);
  }
});

test('sigsum-ts: any flipped byte of a cosignature refuses it', () => {
  const lines = sigsum.note.split('\n');
  const first = lines.findIndex((l) => l.startsWith('\u2014 test1.example'));
  const b64 = lines[first]!.split(' ')[2]!;
  const raw = fromBase64(b64);
  for (let i = 0; i < raw.length; i++) {
    const m = raw.slice();
    m[i]! ^= 1 << (i % 8);
    const bad = [...lines];
    bad[first] = `\u2014 test1.example ${Buffer.from(m).toString('base64')}`;
    const got = cosigners(bad.join('\n'), sigsum.witnessKeys);
    // A flip in the key id makes the line an unknown key's (ignored): then test1 did not sign.
    if (i < 4) assert.equal(got, ['test2.example', 'test3.example'], `byte ${i}`);
    else assert.is(got, 'bad_signature', `byte ${i}`);
  }
  // A flipped byte of the checkpoint body: every cosignature fails.
  const body = utf8(sigsum.note);
  for (let i = 0; i < sigsum.note.indexOf('\n\n'); i++) {
    const m = body.slice();
    m[i]! ^= 1 << (i % 7); // never turns a byte into a newline's neighbour-free control... still checked below
    const got = cosigners(m, sigsum.witnessKeys);
    assert.ok(got === 'bad_signature' || got === 'malformed', `body byte ${i}: ${String(got)}`);
  }
});

test('skylight: the witness cosignature verifies; the log\'s type-0x05 line is ignored, not an error', () => {
  const n = openNoteWith(skylight.note, [cosignatureVerifier(skylight.witnessKey)]);
  assert.equal(n.verified, ['witness.example.org']);
  assert.equal(n.unverified.map((u) => u.name), ['rome2026h1.example.org']);
  assert.is(cosignatureTimestamp(n.signatures[0]!.sig), skylight.time);
  // noteVerifier picks the kind by the key's type byte.
  assert.equal(openNoteWith(skylight.note, [noteVerifier(skylight.witnessKey)]).verified, ['witness.example.org']);
});

test('a cosignature key is not an Ed25519 note key, and the other way round (domain separation)', () => {
  assert.throws(() => ed25519Verifier(skylight.witnessKey), /unknown key algorithm/);
  const ed = generateKey('log.example/x');
  assert.throws(() => cosignatureVerifier(ed.verifierKey), /not a cosignature\/v1 key/);
  // The same seed as an Ed25519 note key and as a cosigner: different ids, and neither
  // signature verifies as the other kind.
  const seed = new Uint8Array(32).fill(7);
  const n = generateKey('w.example', seed);
  const c = generateCosignerKey('w.example', seed);
  const text = formatCheckpoint({ origin: 'log.example/x', size: 1, root: new Uint8Array(32) });
  const plain = signNote(text, n.signerKey);
  const cosigned = text + '\n' + cosignLine(text, c.signerKey, 1700000000);
  assert.is(openNote(plain, [n.verifierKey]).verified[0], 'w.example');
  assert.equal(cosigners(plain, [c.verifierKey]), 'unverified');
  assert.throws(() => openNote(cosigned, [n.verifierKey]), (e: unknown) => e instanceof NoteError && e.code === 'unverified');
});

test('cosigner keys: round trip, parse checks, key ids, errors never quote the seed', () => {
  const k = generateCosignerKey('witness.example/w1');
  const p = parseCosignerKey(k.signerKey);
  assert.is(p.verifierKey, k.verifierKey);
  assert.is(cosignatureVerifier(k.verifierKey).name, 'witness.example/w1');
  const seed64 = k.signerKey.split('+').slice(4).join('+');
  for (const bad of [k.signerKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'), k.signerKey.slice(0, -2) + 'AA', 'PRIVATE+KEY+x']) {
    assert.throws(() => parseCosignerKey(bad), (e: unknown) => e instanceof TypeError && !e.message.includes(seed64.slice(2, 20)));
  }
  assert.throws(() => cosignatureVerifier(k.verifierKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')), /does not match/);
  // Split on the first two '+' only: base64 with '+' in it still parses (sigsum-ts test1 has one).
  assert.is(cosignatureVerifier(sigsum.witnessKeys[0]!).name, 'test1.example');
});

test('cosignLine: a future-proof timestamp encoding, and addSignatureLines keeps one line per key', () => {
  const log = generateKey('log.example/y');
  const w = generateCosignerKey('w.example/1');
  const text = formatCheckpoint({ origin: 'log.example/y', size: 5, root: new Uint8Array(32).fill(1) });
  const signed = signNote(text, log.signerKey);
  const line = cosignLine(text, w.signerKey, 1767139200);
  const both = addSignatureLines(signed, line);
  assert.is(addSignatureLines(both, line), both);
  assert.is(addSignatureLines(both, cosignLine(text, w.signerKey, 1767139201)), both);
  const n = openNoteWith(both, [ed25519Verifier(log.verifierKey), cosignatureVerifier(w.verifierKey)]);
  assert.equal(n.verified, ['log.example/y', 'w.example/1']);
  assert.is(cosignatureTimestamp(n.signatures[1]!.sig), 1767139200);
  assert.throws(() => addSignatureLines(signed, 'not a line'), /signature lines/);
  assert.throws(() => cosignLine(text, w.signerKey, -1), /timestamp/);
  // Timestamps above 2^63-1 never verify.
  const raw = fromBase64(line.trim().split(' ')[2]!);
  raw[4] = 0x80;
  const v = cosignatureVerifier(w.verifierKey);
  assert.not.ok(v.verify(utf8(text), raw.subarray(4)));
});

test.run();
