// One-pass checks of one entry's bytes, before the state machine sees it (DESIGN.md "The
// log", "Entries", "Event envelope"; RFC 8785; RFC 9162 §2.1.1): the bytes are decoded and
// parsed once, the entry schema (which holds the envelope's) is checked once, the event is
// serialised once, and that one serialisation gives the content hash, the bytes the
// signature covers and the canonical-form check of the whole entry: a canonical entry is
// exactly `{"effects":` E `,"event":` V `,"prev":…,"seq":…,"time":…}` with V the canonical
// event, so comparing V and the tail in place checks the form without serialising the
// entry again. The effects slice E is compared, as text, with the recomputed effects' canonical form
// (effectsMatch): equal text means canonical and equal. Hashes are node:crypto's SHA-256.
//
// Only on a failure does slowProblem re-run the checks the old way (the strict I-JSON
// parser, then each check in the order of packages/ledger's Replayer), so that a problem
// is named exactly as before: the first of encoding, shape, seq, chain, event.
import crypto, { createHash } from 'node:crypto';
import { MAX_CLOCK_AHEAD_MS, canonicalBytes, canonicalize, parseIJsonBytes, signingBytes, validateEntryShape, type Effect, type Entry, type Envelope, type ReplayProblem } from '@cotc/ledger';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEAD = '{"effects":';
const EVENT = ',"event":';

export interface CheckedEntry {
  seq: number;
  event: Envelope;
  /** RFC 9162 leaf hash SHA-256(0x00 || data) */
  leaf: Uint8Array;
  leafHex: string;
  /** hex SHA-256 of the event's canonical bytes (sig included): the state machine's content hash */
  contentHash: string;
  /** the bytes the event's signature covers (canonical envelope without sig) */
  signing: Uint8Array;
  /** the effects as logged, as text (canonical when they match the recomputed ones) */
  effectsText: string;
}

/** node:crypto SHA-256 leaf hash (RFC 9162 §2.1.1). */
export function leafHashNode(data: Uint8Array): Uint8Array {
  // One-shot crypto.hash over 0x00 || data (a copy of the entry costs less than a Hash
  // object's creation, two updates and a digest).
  const buf = Buffer.allocUnsafe(data.length + 1);
  buf[0] = 0;
  buf.set(data, 1);
  return oneShot(buf);
}

const hashFn = (crypto as unknown as { hash?: (alg: string, d: Uint8Array | string, enc: string) => Buffer | string }).hash;
/** SHA-256 with node:crypto's one-shot hash where there is one (Node ≥ 20.12). */
function oneShot(d: Uint8Array): Uint8Array {
  if (hashFn) return hashFn('sha256', d, 'buffer') as Buffer;
  return createHash('sha256').update(d).digest();
}
function oneShotHex(s: string): string {
  if (hashFn) return hashFn('sha256', s, 'hex') as string;
  return createHash('sha256').update(s).digest('hex');
}

/** Checks entry `data` as the entry at `seq` after the entry whose leaf hash is `prev`
 * (hex). A problem, or what the state machine and the tree need. */
export function checkEntry(data: Uint8Array, seq: number, prev: string): CheckedEntry | ReplayProblem {
  return fastCheck(data, seq, prev) ?? slowCheck(data, seq, prev);
}

/** The problem of an entry the one-pass checks did not pass. */
function slowCheck(data: Uint8Array, seq: number, prev: string): ReplayProblem {
  return slowProblem(data, seq, prev) ?? { seq, check: 'encoding', message: 'entry is not in canonical form (RFC 8785)' };
}

/** The one-pass checks: what the replay needs, or null when any check fails (slowCheck then names it). */
function fastCheck(data: Uint8Array, seq: number, prev: string): CheckedEntry | null {
  let text: string;
  let entry: Entry;
  try {
    text = decoder.decode(data);
    entry = JSON.parse(text);
  } catch {
    return null;
  }
  if (!validateEntryShape(entry).ok) return null;
  if (entry.seq !== seq || entry.prev !== prev) return null;
  const event = entry.event;
  // The sequencer refuses events more than MAX_CLOCK_AHEAD_MS ahead of its clock, the entry's time (DESIGN.md "Event envelope").
  if (Date.parse(event.time) - Date.parse(entry.time) > MAX_CLOCK_AHEAD_MS) return null;
  let canon: string;
  try {
    canon = canonicalize(event);
  } catch {
    return null;
  }
  const tail = `,"prev":${JSON.stringify(entry.prev)},"seq":${entry.seq},"time":${JSON.stringify(entry.time)}}`;
  const evEnd = text.length - tail.length;
  const evStart = evEnd - canon.length;
  if (!text.startsWith(HEAD) || !text.endsWith(tail) || evStart - EVENT.length < HEAD.length) return null;
  if (!text.startsWith(EVENT, evStart - EVENT.length) || !text.startsWith(canon, evStart)) return null;
  const leaf = leafHashNode(data);
  return {
    seq,
    event,
    leaf,
    leafHex: Buffer.from(leaf.buffer, leaf.byteOffset, 32).toString('hex'),
    contentHash: oneShotHex(canon),
    signing: unsignedOf(canon, event),
    effectsText: text.slice(HEAD.length, evStart - EVENT.length),
  };
}

/** The canonical envelope without `sig`, cut out of the canonical envelope: its keys are
 * body, id, org, sig, time, type, v (schema: no others), so `,"sig":"…"` sits between org
 * and time, after the only nested value (body, whose strings cannot hold an unescaped `"`). */
function unsignedOf(canon: string, event: Envelope): Uint8Array {
  const cut = `,"sig":${JSON.stringify(event.sig)}`;
  const at = canon.lastIndexOf(cut);
  if (at > 0 && canon.startsWith(',"time":', at + cut.length)) return Buffer.from(canon.slice(0, at) + canon.slice(at + cut.length), 'utf8');
  return signingBytes(event);
}

/** The logged effects (parsed again: only to name a problem). */
export function loggedEffects(data: Uint8Array): unknown {
  return (JSON.parse(decoder.decode(data)) as Entry).effects;
}

/** Whether the logged effects are exactly the recomputed ones (as canonical text). */
export function effectsMatch(c: CheckedEntry, recomputed: readonly Effect[]): boolean {
  return canonicalize(recomputed) === c.effectsText;
}

/** The problem of the checks before the state machine, named as packages/ledger's Replayer
 * names it, or null when there is none. Slow (strict parser, two serialisations): only
 * run once something failed. */
export function slowProblem(data: Uint8Array, seq: number, prev: string): ReplayProblem | null {
  const fail = (check: ReplayProblem['check'], message: string): ReplayProblem => ({ seq, check, message });
  let parsed: unknown;
  try {
    parsed = parseIJsonBytes(data);
  } catch (e) {
    return fail('encoding', `entry bytes are not I-JSON: ${(e as Error).message}`);
  }
  let canon: Uint8Array;
  try {
    canon = canonicalBytes(parsed);
  } catch (e) {
    return fail('encoding', `entry is not canonicalizable: ${(e as Error).message}`);
  }
  if (!Buffer.from(canon).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) return fail('encoding', 'entry bytes are not in canonical form (RFC 8785)');
  const shape = validateEntryShape(parsed);
  // The entry schema holds the envelope's, so a malformed event is a shape problem too (as
  // in the Replayer, whose separate envelope check could never fail after it).
  if (!shape.ok) return fail('shape', shape.message);
  const entry = shape.entry;
  if (entry.seq !== seq) return fail('seq', `entry says seq ${entry.seq} at index ${seq}`);
  if (entry.prev !== prev) return fail('chain', `prev is ${entry.prev}, the leaf hash of entry ${seq - 1} is ${prev}`);
  const event = entry.event;
  if (Date.parse(event.time) - Date.parse(entry.time) > MAX_CLOCK_AHEAD_MS) {
    return fail('event', `event time ${event.time} is more than ${MAX_CLOCK_AHEAD_MS / 60_000} minutes after the entry time ${entry.time}`);
  }
  return null;
}
