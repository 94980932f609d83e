// C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys (signature type 0x01)
// and a verifier seam (NoteVerifier, openNoteWith) for other kinds (cosignature.ts),
// byte-compatible with Go's golang.org/x/mod/sumdb/note: same key strings, key ids,
// signature lines and Open semantics, so our checkpoints interoperate with the
// transparency-dev ecosystem. Where we differ from Go we are stricter, never looser:
// key ids must be lowercase hex, base64 must be canonical, Ed25519 is verified strictly
// (see ed25519.ts), weak keys are refused, and a known key signing twice is an error
// (Go silently keeps the first and never checks the second; the spec says a known key's
// signature MUST be verified).

import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64, concat, fromBase64, fromHex, fromUtf8, hex, isWellFormed, utf8 } from './bytes.ts';
import { isWeakPublicKey, publicKeyFromSeed, sign, verifyStrict } from './ed25519.ts';

const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 '; // em dash, space
const MAX_SIGNATURES = 100; // as Go; the spec asks for at least 16

export type NoteErrorCode = 'malformed' | 'unverified' | 'bad_signature' | 'duplicate_signature' | 'ambiguous_key';

export interface VerifierKey { name: string; id: Uint8Array; publicKey: Uint8Array; key: string }
export interface SignerKey { name: string; id: Uint8Array; seed: Uint8Array; publicKey: Uint8Array; verifierKey: string }
export interface UnverifiedSignature { name: string; id: Uint8Array }
export interface OpenedNote { text: string; verified: string[]; unverified: UnverifiedSignature[] }

/** Why a note was refused; `code` is stable, `message` is for people. */
export class NoteError extends Error {
  readonly code: NoteErrorCode;
  /** Signatures by keys the caller did not list (set on 'unverified', to say who did sign). */
  readonly unverified: UnverifiedSignature[];
  constructor(code: NoteErrorCode, message: string, unverified: UnverifiedSignature[] = []) {
    super(message);
    this.name = 'NoteError';
    this.code = code;
    this.unverified = unverified;
  }
}

// Unicode spaces as Go's unicode.IsSpace sees them (JS's \s differs: it has U+FEFF, lacks U+0085).
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
// Control characters other than newline: a signed note may not contain them (spec §Format).
const CONTROL = /[\x00-\x09\x0b-\x1f]/;

/** Go's isValidName: non-empty, well-formed, no Unicode space, no '+'; also no control characters, which no note could carry. */
export function isValidName(name: string): boolean {
  return typeof name === 'string' && name !== '' && isWellFormed(name) &&
    !SPACE.test(name) && !CONTROL.test(name) && !name.includes('+');
}

function needName(name: unknown, param: string): asserts name is string {
  if (!isValidName(name as string)) {
    throw new TypeError(`${param}: invalid key name (must be non-empty, without spaces, '+' or control characters)`);
  }
}

function needPublicKey(pub: unknown, param: string): asserts pub is Uint8Array {
  if (!(pub instanceof Uint8Array) || pub.length !== 32) throw new TypeError(`${param}: expected a 32-byte Ed25519 public key`);
}

/** Key id = SHA-256(name || "\n" || 0x01 || pub)[:4] (spec §Signatures). */
export function keyIdBytes(name: string, publicKey: Uint8Array): Uint8Array {
  needName(name, 'name');
  needPublicKey(publicKey, 'publicKey');
  return sha256(concat(utf8(name), new Uint8Array([0x0a, ALG_ED25519]), publicKey)).slice(0, 4);
}

/** The key id as Go's uint32 (big endian). */
export function keyId(name: string, publicKey: Uint8Array): number {
  const b = keyIdBytes(name, publicKey);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** name+hexid+base64(0x01||pub), as Go's NewEd25519VerifierKey. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  const id = keyIdBytes(name, publicKey);
  return `${name}+${hex(id)}+${base64(concat(new Uint8Array([ALG_ED25519]), publicKey))}`;
}

/** A new key pair (random unless seed is given), as Go's GenerateKey. Keep signerKey secret. */
export function generateKey(name: string, seed?: Uint8Array): { signerKey: string; verifierKey: string } {
  needName(name, 'name');
  if (seed !== undefined && (!(seed instanceof Uint8Array) || seed.length !== 32)) {
    throw new TypeError('seed: expected a 32-byte Ed25519 seed (Uint8Array)');
  }
  const s = seed ?? randomBytes(32);
  const pub = publicKeyFromSeed(s);
  const id = hex(keyIdBytes(name, pub));
  const signerKey = `PRIVATE+KEY+${name}+${id}+${base64(concat(new Uint8Array([ALG_ED25519]), s))}`;
  return { signerKey, verifierKey: formatVerifierKey(name, pub) };
}

// Splits at the first sep, as Go's chop: the base64 part may itself contain '+'.
function chop(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}

/**
 * The body of a vkey or PRIVATE+KEY (name, hex8 key id, base64 of type byte || 32 key
 * bytes), shared by both key parsers here and by cosignature.ts's (type 0x04), which
 * differ only in the type byte. Errors never quote the input: it may be a private key.
 * Internal to @cotc/tlog (exported for cosignature.ts).
 */
export function parseKeyBody(
  name: string, id16: string, key64: string, param: string,
  alg = ALG_ED25519, wrongAlg = 'unknown key algorithm (only 0x01, Ed25519)',
): Uint8Array {
  needName(name, param);
  if (!/^[0-9a-f]{8}$/.test(id16)) throw new TypeError(`${param}: key id must be 8 lowercase hex digits`);
  let key: Uint8Array;
  try {
    key = fromBase64(key64, param);
  } catch {
    throw new TypeError(`${param}: key data is not canonical standard base64`);
  }
  if (key.length === 0 || key[0] !== alg) throw new TypeError(`${param}: ${wrongAlg}`);
  if (key.length !== 33) throw new TypeError(`${param}: Ed25519 key data must be 32 bytes, got ${key.length - 1}`);
  return key.slice(1);
}

/** Parses name+hexid+base64(0x01||pub); refuses malformed keys, wrong ids and weak keys. */
export function parseVerifierKey(s: string, param = 'verifierKey'): VerifierKey {
  if (typeof s !== 'string') throw new TypeError(`${param}: expected a string`);
  const [name, rest] = chop(s, '+');
  const [id16, key64] = chop(rest, '+');
  const publicKey = parseKeyBody(name, id16, key64, param);
  const want = hex(keyIdBytes(name, publicKey));
  if (want !== id16) throw new TypeError(`${param}: key id ${id16} does not match the name and key (want ${want})`);
  if (isWeakPublicKey(publicKey)) {
    throw new TypeError(`${param}: weak Ed25519 public key (non-canonical, not on the curve, or of small order)`);
  }
  return { name, id: fromHex(id16), publicKey, key: s };
}

/** Parses PRIVATE+KEY+name+hexid+base64(0x01||seed) and checks the id against the derived public key. */
export function parseSignerKey(s: string, param = 'signerKey'): SignerKey {
  if (typeof s !== 'string') throw new TypeError(`${param}: expected a string`);
  const [p1, r1] = chop(s, '+');
  const [p2, r2] = chop(r1, '+');
  if (p1 !== 'PRIVATE' || p2 !== 'KEY') throw new TypeError(`${param}: must start with PRIVATE+KEY+`);
  const [name, r3] = chop(r2, '+');
  const [id16, key64] = chop(r3, '+');
  const seed = parseKeyBody(name, id16, key64, param);
  const publicKey = publicKeyFromSeed(seed);
  // Go checks this too: the id is of the public key, which only the seed determines.
  if (hex(keyIdBytes(name, publicKey)) !== id16) throw new TypeError(`${param}: key id does not match the name and key`);
  return { name, id: fromHex(id16), seed, publicKey, verifierKey: formatVerifierKey(name, publicKey) };
}

interface SigLine { name: string; id: Uint8Array; sig: Uint8Array; line: string }

// Parses a signature block (lines ending in "\n"); null when any line is malformed.
function parseSignatures(block: string): SigLine[] | null {
  if (block === '' || !block.endsWith('\n')) return null;
  const out: SigLine[] = [];
  for (const line of block.slice(0, -1).split('\n')) {
    if (!line.startsWith(SIG_PREFIX)) return null;
    const [name, b64] = chop(line.slice(SIG_PREFIX.length), ' ');
    if (!isValidName(name) || b64 === '') return null;
    let raw: Uint8Array;
    try {
      raw = fromBase64(b64);
    } catch {
      return null;
    }
    if (raw.length < 5) return null;
    out.push({ name, id: raw.slice(0, 4), sig: raw.slice(4), line });
  }
  return out;
}

function needNoteText(text: unknown, param: string): asserts text is string {
  if (typeof text !== 'string') throw new TypeError(`${param}: expected a string`);
  if (!text.endsWith('\n')) throw new TypeError(`${param}: note text must end with a newline`);
  if (CONTROL.test(text)) throw new TypeError(`${param}: note text may not contain control characters other than newline`);
  if (!isWellFormed(text)) throw new TypeError(`${param}: contains a lone UTF-16 surrogate`);
}

/**
 * Signs text with signerKey and returns the signed note. If text already is a signed note
 * (its last blank line is followed only by signature lines), the new signature joins the
 * existing ones, replacing any earlier one by the same key, as Go's Sign does.
 */
export function signNote(text: string, signerKey: string): string {
  needNoteText(text, 'text');
  const key = parseSignerKey(signerKey);
  let body = text;
  let existing: SigLine[] = [];
  const split = text.lastIndexOf('\n\n');
  const sigs = split < 0 ? null : parseSignatures(text.slice(split + 2));
  if (sigs !== null) {
    body = text.slice(0, split + 1);
    existing = sigs.filter((s) => !(s.name === key.name && hex(s.id) === hex(key.id)));
  }
  if (existing.length + 1 > MAX_SIGNATURES) throw new TypeError(`text: a note may carry at most ${MAX_SIGNATURES} signatures`);
  const sig = sign(key.seed, utf8(body));
  const line = `${SIG_PREFIX}${key.name} ${base64(concat(key.id, sig))}`;
  return `${body}\n${[...existing.map((s) => s.line), line].join('\n')}\n`;
}

/**
 * A signature checker for one key, as Go's note.Verifier: a note signature line
 * `— <name> base64(keyID[4] || sig)` is given to the verifier whose name and key id match
 * (signed-note §Signatures), which checks `sig` over the note text. Ed25519 (type 0x01)
 * is ed25519Verifier; C2SP cosignature/v1 (type 0x04) is in cosignature.ts.
 */
export interface NoteVerifier {
  readonly name: string;
  /** the 4-byte key id */
  readonly keyId: Uint8Array;
  /** the verifier key string (name+hexid+base64(type||key)); two verifiers with the same string are one key */
  readonly key: string;
  /** checks sig (the signature bytes after the key id) over msg (the note text, UTF-8); never throws */
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
}

/** A verified signature line: who, and the signature bytes after the key id (a cosignature's timestamp is in them). */
export interface VerifiedSignature { name: string; id: Uint8Array; sig: Uint8Array; verifier: NoteVerifier }

/** The Ed25519 (type 0x01) verifier of a verifier key string, as Go's NewVerifier. */
export function ed25519Verifier(verifierKey: string, param = 'verifierKey'): NoteVerifier {
  const v = parseVerifierKey(verifierKey, param);
  return {
    name: v.name,
    keyId: v.id,
    key: v.key,
    verify: (msg, sig) => verifyStrict(v.publicKey, msg, sig),
  };
}

/**
 * Opens a signed note, as Go's note.Open: every signature by a listed key must verify
 * (else 'bad_signature'), signatures by other keys are reported as unverified, and at
 * least one listed key must have signed (else 'unverified'). Throws TypeError on bad
 * arguments and NoteError on a bad note. Keys are Ed25519 verifier key strings; for other
 * kinds (cosignatures), use openNoteWith.
 */
export function openNote(note: string | Uint8Array, verifierKeys: string[]): OpenedNote {
  if (!Array.isArray(verifierKeys)) throw new TypeError('verifierKeys: expected an array of verifier key strings');
  return openNoteWith(note, verifierKeys.map((k, i) => ed25519Verifier(k, `verifierKeys[${i}]`)));
}

/**
 * openNote with a set of verifiers of any kind (as Go's note.Open with note.VerifierList).
 * Signature lines whose name and key id match no verifier are unverified, whatever their
 * type (signed-note v1.0.0 §Signatures: "Verifiers MUST ignore signatures from unknown keys"), so a line of
 * a type this code does not know (say an RFC 6962 0x05 signature) is not an error.
 */
export function openNoteWith(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote & { signatures: VerifiedSignature[] } {
  if (!Array.isArray(verifiers)) throw new TypeError('verifiers: expected an array of note verifiers');
  const known = new Map<string, NoteVerifier[]>();
  verifiers.forEach((v, i) => {
    if (typeof v !== 'object' || v === null || typeof v.verify !== 'function' || !isValidName(v.name) ||
      !(v.keyId instanceof Uint8Array) || v.keyId.length !== 4 || typeof v.key !== 'string') {
      throw new TypeError(`verifiers[${i}]: expected a NoteVerifier {name, keyId (4 bytes), key, verify}`);
    }
    const k = `${v.name}+${hex(v.keyId)}`;
    const list = known.get(k) ?? [];
    if (!list.some((o) => o.key === v.key)) list.push(v);
    known.set(k, list);
  });
  let msg: string;
  if (note instanceof Uint8Array) {
    try {
      msg = fromUtf8(note);
    } catch {
      throw new NoteError('malformed', 'malformed note: invalid UTF-8');
    }
  } else if (typeof note === 'string') {
    if (!isWellFormed(note)) throw new NoteError('malformed', 'malformed note: lone UTF-16 surrogate');
    msg = note;
  } else {
    throw new TypeError('note: expected a string or a Uint8Array');
  }
  if (CONTROL.test(msg)) throw new NoteError('malformed', 'malformed note: control character');
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'malformed note: no blank line before the signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  // Count before parsing, so a note with a million lines costs one scan, not a million decodes.
  if (block.split('\n').length - 1 > MAX_SIGNATURES) {
    throw new NoteError('malformed', `malformed note: more than ${MAX_SIGNATURES} signatures`);
  }
  const sigs = parseSignatures(block);
  if (sigs === null) throw new NoteError('malformed', 'malformed note: bad signature line');

  const textBytes = utf8(text);
  const verified: string[] = [];
  const signatures: VerifiedSignature[] = [];
  const unverified: UnverifiedSignature[] = [];
  const seenLines = new Set<string>(); // unknown keys: identical lines
  const seenKeys = new Set<string>(); // known keys: name+id
  for (const s of sigs) {
    const k = `${s.name}+${hex(s.id)}`;
    const candidates = known.get(k);
    if (candidates === undefined) {
      // As Go: drop repeated identical unverified lines, keep distinct ones.
      if (!seenLines.has(s.line)) unverified.push({ name: s.name, id: s.id });
      seenLines.add(s.line);
      continue;
    }
    if (candidates.length > 1) throw new NoteError('ambiguous_key', `ambiguous key ${k}: more than one listed key has that name and id`);
    if (seenKeys.has(k)) throw new NoteError('duplicate_signature', `more than one signature by key ${k}`);
    seenKeys.add(k);
    const v = candidates[0]!;
    let ok = false;
    try {
      ok = v.verify(textBytes, s.sig) === true;
    } catch {
      ok = false; // a verifier that throws has not verified
    }
    if (!ok) throw new NoteError('bad_signature', `invalid signature for key ${k}`);
    verified.push(s.name);
    signatures.push({ name: s.name, id: s.id, sig: s.sig, verifier: v });
  }
  if (verified.length === 0) throw new NoteError('unverified', 'note has no verifiable signatures', unverified);
  return { text, verified, unverified, signatures };
}
