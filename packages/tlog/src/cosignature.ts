// C2SP tlog-cosignature v1.0.1 (https://c2sp.org/tlog-cosignature@v1.0.1), the Ed25519
// cosignature/v1 kind (signature type 0x04): what a witness signs to say "as of this time,
// this is the largest consistent tree I have seen of this log".
//
// - §Format: key id = SHA-256(name || "\n" || 0x04 || 32-byte public key)[:4]; the
//   signature is a timestamped_signature: uint64 big-endian POSIX seconds (at most 2^63−1)
//   then the 64-byte Ed25519 signature; the line is `— <name> base64(keyID || that)`.
//   Verifier keys are signed-note vkeys with type 0x04: `name+hex8(id)+base64(0x04 || pub)`.
// - §Signed message: "cosignature/v1\n" "time <decimal, no leading zeros>\n" then the whole
//   checkpoint body (with its final newline, without signature lines). The name is not
//   signed (only the key id commits to it), so one key must never serve two cosigners.
//
// Signer key files hold `PRIVATE+KEY+name+hex8(id)+base64(0x04 || seed)`, the signed-note
// signer format with this type byte (the specs define no private key format).
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64, concat, fromBase64, fromHex, hex, utf8 } from './bytes.ts';
import { isWeakPublicKey, publicKeyFromSeed, sign, verifyStrict } from './ed25519.ts';
import { ed25519Verifier, isValidName, parseKeyBody, type NoteVerifier } from './note.ts';

export const ALG_COSIGNATURE_V1 = 0x04;
const SIG_PREFIX = '\u2014 ';
const MAX_TIMESTAMP = 2n ** 63n - 1n;

export interface CosignatureVerifier extends NoteVerifier {
  readonly publicKey: Uint8Array;
}

export interface CosignerKey { name: string; id: Uint8Array; seed: Uint8Array; publicKey: Uint8Array; verifierKey: string }

function needName(name: unknown, param: string): asserts name is string {
  if (!isValidName(name as string)) throw new TypeError(`${param}: invalid key name (must be non-empty, without spaces, '+' or control characters)`);
}

/** §Format: SHA-256(name || 0x0A || 0x04 || pub)[:4]. */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  needName(name, 'name');
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new TypeError('publicKey: expected a 32-byte Ed25519 public key');
  return sha256(concat(utf8(name), new Uint8Array([0x0a, ALG_COSIGNATURE_V1]), publicKey)).slice(0, 4);
}

/** name+hex8(id)+base64(0x04 || pub). */
export function formatCosignatureVerifierKey(name: string, publicKey: Uint8Array): string {
  return `${name}+${hex(cosignatureKeyId(name, publicKey))}+${base64(concat(new Uint8Array([ALG_COSIGNATURE_V1]), publicKey))}`;
}

// Splits on the first `+` only (base64 may itself hold '+').
function chop(s: string): [string, string] {
  const i = s.indexOf('+');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

// The vkey body of signed notes with type byte 0x04 (§Format).
const keyBody = (name: string, id16: string, key64: string, param: string): Uint8Array =>
  parseKeyBody(name, id16, key64, param, ALG_COSIGNATURE_V1, 'not a cosignature/v1 key (type 0x04)');

/** The message a cosignature/v1 signs (§Signed message). */
export function cosignedMessage(checkpointText: string | Uint8Array, timestamp: bigint | number): Uint8Array {
  const body = typeof checkpointText === 'string' ? utf8(checkpointText) : checkpointText;
  const t = BigInt(timestamp);
  if (t < 0n || t > MAX_TIMESTAMP) throw new TypeError('timestamp: must be from 0 to 2^63-1');
  return concat(utf8(`cosignature/v1\ntime ${t.toString()}\n`), body);
}

/** The timestamp of a cosignature/v1 signature (the bytes after the key id), or null when it is not 72 bytes or above 2^63−1. */
export function cosignatureTimestamp(sig: Uint8Array): number | null {
  if (!(sig instanceof Uint8Array) || sig.length !== 72) return null;
  let t = 0n;
  for (let i = 0; i < 8; i++) t = (t << 8n) | BigInt(sig[i]!);
  if (t > MAX_TIMESTAMP) return null;
  // Seconds: any real time is far below 2^53.
  return t > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(t);
}

/** Parses a cosignature/v1 verifier key `name+hex8(id)+base64(0x04 || pub)`; refuses wrong ids and weak keys. */
export function cosignatureVerifier(verifierKey: string, param = 'verifierKey'): CosignatureVerifier {
  if (typeof verifierKey !== 'string') throw new TypeError(`${param}: expected a string`);
  const [name, rest] = chop(verifierKey);
  const [id16, key64] = chop(rest);
  const publicKey = keyBody(name, id16, key64, param);
  const want = hex(cosignatureKeyId(name, publicKey));
  if (want !== id16) throw new TypeError(`${param}: key id ${id16} does not match the name and key (want ${want})`);
  if (isWeakPublicKey(publicKey)) throw new TypeError(`${param}: weak Ed25519 public key (non-canonical, not on the curve, or of small order)`);
  return {
    name,
    keyId: fromHex(id16),
    key: verifierKey,
    publicKey,
    verify(msg: Uint8Array, sig: Uint8Array): boolean {
      const t = cosignatureTimestamp(sig);
      if (t === null) return false;
      return verifyStrict(publicKey, concat(utf8(`cosignature/v1\ntime ${t}\n`), msg), sig.subarray(8));
    },
  };
}

/** True when the key string is a cosignature/v1 verifier key (type byte 0x04), without checking the rest. */
export function isCosignatureKey(verifierKey: string): boolean {
  if (typeof verifierKey !== 'string') return false;
  const [, rest] = chop(verifierKey);
  const [, key64] = chop(rest);
  return key64.startsWith('B'); // base64 of a first byte 0x04 starts with 'B' (0x04 >> 2 = 1)
}

/** A new cosigner key pair (random unless seed is given). Keep signerKey secret. */
export function generateCosignerKey(name: string, seed?: Uint8Array): { signerKey: string; verifierKey: string } {
  needName(name, 'name');
  if (seed !== undefined && (!(seed instanceof Uint8Array) || seed.length !== 32)) throw new TypeError('seed: expected a 32-byte Ed25519 seed');
  const s = seed ?? randomBytes(32);
  const pub = publicKeyFromSeed(s);
  const id = hex(cosignatureKeyId(name, pub));
  return {
    signerKey: `PRIVATE+KEY+${name}+${id}+${base64(concat(new Uint8Array([ALG_COSIGNATURE_V1]), s))}`,
    verifierKey: formatCosignatureVerifierKey(name, pub),
  };
}

/** Parses PRIVATE+KEY+name+hex8(id)+base64(0x04 || seed). Errors never quote the key. */
export function parseCosignerKey(s: string, param = 'cosignerKey'): CosignerKey {
  if (typeof s !== 'string') throw new TypeError(`${param}: expected a string`);
  const [p1, r1] = chop(s);
  const [p2, r2] = chop(r1);
  if (p1 !== 'PRIVATE' || p2 !== 'KEY') throw new TypeError(`${param}: must start with PRIVATE+KEY+`);
  const [name, r3] = chop(r2);
  const [id16, key64] = chop(r3);
  const seed = keyBody(name, id16, key64, param);
  const publicKey = publicKeyFromSeed(seed);
  if (hex(cosignatureKeyId(name, publicKey)) !== id16) throw new TypeError(`${param}: key id does not match the name and key`);
  return { name, id: fromHex(id16), seed, publicKey, verifierKey: formatCosignatureVerifierKey(name, publicKey) };
}

/**
 * The cosignature/v1 signature line (`— name base64(id || uint64be(t) || sig)\n`) by key
 * over a checkpoint's note text (its body, ending in a newline, no signature lines).
 */
export function cosignLine(checkpointText: string, key: CosignerKey | string, timestamp: number): string {
  const k = typeof key === 'string' ? parseCosignerKey(key) : key;
  if (typeof checkpointText !== 'string' || !checkpointText.endsWith('\n')) throw new TypeError('checkpointText: must end with a newline');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TypeError('timestamp: expected POSIX seconds (a non-negative integer)');
  const ts = new Uint8Array(8);
  new DataView(ts.buffer).setBigUint64(0, BigInt(timestamp));
  const sig = sign(k.seed, cosignedMessage(checkpointText, timestamp));
  return `${SIG_PREFIX}${k.name} ${base64(concat(k.id, ts, sig))}\n`;
}

/**
 * A verifier for any key string this code knows: Ed25519 (0x01) or cosignature/v1 (0x04).
 * (As Go's note.NewVerifier with the cosignature kind registered.)
 */
export function noteVerifier(verifierKey: string, param = 'verifierKey'): NoteVerifier {
  return isCosignatureKey(verifierKey) ? cosignatureVerifier(verifierKey, param) : ed25519Verifier(verifierKey, param);
}

/**
 * Adds signature lines to a signed note (as a log adds witnesses' cosignatures to its
 * checkpoint, tlog-witness §add-checkpoint: "concatenate it to the checkpoint"): a line by
 * a name and key id the note already has a signature of replaces nothing and is dropped.
 */
export function addSignatureLines(note: string, lines: string): string {
  if (typeof note !== 'string' || !note.endsWith('\n') || note.lastIndexOf('\n\n') < 0) throw new TypeError('note: expected a signed note');
  // A line's key: its name and the 4-byte key id at the start of its base64 (signed-note §Signatures).
  const keyOf = (line: string): string | null => {
    if (!line.startsWith(SIG_PREFIX)) return null;
    const rest = line.slice(SIG_PREFIX.length);
    const sp = rest.indexOf(' ');
    if (sp < 1) return null;
    try {
      const raw = fromBase64(rest.slice(sp + 1));
      return raw.length < 5 ? null : `${rest.slice(0, sp)}+${hex(raw.subarray(0, 4))}`;
    } catch {
      return null;
    }
  };
  const have = new Set<string>();
  for (const l of note.slice(note.lastIndexOf('\n\n') + 2).split('\n')) {
    const k = keyOf(l);
    if (k) have.add(k);
  }
  let out = note;
  for (const l of lines.split('\n')) {
    if (l === '') continue;
    const k = keyOf(l);
    if (k === null) throw new TypeError('lines: expected note signature lines (— name base64)');
    if (have.has(k)) continue;
    have.add(k);
    out += l + '\n';
  }
  return out;
}
