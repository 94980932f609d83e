// Entry v2 (docs/wire-format-2.md §9), decoded from its exact bytes: I-JSON, RFC 8785
// canonical, exactly {v: 2, seq, prev, time, event, effects: {root, count}, state?: {root,
// count}}, the event a valid envelope. The verifier hashes the bytes it was given, then
// parses them (DESIGN.md "Entries"), so the decoder sees bytes already proven in the log.
import { equalBytes } from '@cotc/tlog';
import { canonicalBytes, isPlainObject, isUtcTime, parseIJsonBytes, validateEnvelope, type Envelope } from '@cotc/ledger';

export interface Commitment {
  /** lowercase hex */
  root: string;
  count: number;
}

export interface EntryV2 {
  v: 2;
  seq: number;
  prev: string;
  time: string;
  event: Envelope;
  effects: Commitment;
  /** Present exactly on the last entry of each batch: the map root of version seq + 1 (§9). */
  state?: Commitment;
}

export type Decoded = { ok: true; entry: EntryV2 } | { ok: false; code: 'bad_entry_encoding' | 'bad_entry' | 'unsupported_version'; message: string };

const HEX64 = /^[0-9a-f]{64}$/;
const ENTRY_FIELDS = new Set(['v', 'seq', 'prev', 'time', 'event', 'effects', 'state']);
/** §9: no entry is larger than a C2SP tlog-tiles entry bundle holds. */
export const MAX_ENTRY_BYTES = 65_535;

function commitment(x: unknown): Commitment | null {
  if (!isPlainObject(x)) return null;
  const keys = Object.keys(x);
  if (keys.length !== 2 || typeof x.root !== 'string' || !HEX64.test(x.root) || !Number.isSafeInteger(x.count) || (x.count as number) < 0) return null;
  return { root: x.root, count: x.count as number };
}

export function decodeEntryV2(bytes: Uint8Array): Decoded {
  if (bytes.length > MAX_ENTRY_BYTES) return { ok: false, code: 'bad_entry', message: `the entry is ${bytes.length} bytes, more than ${MAX_ENTRY_BYTES}` };
  let parsed: unknown;
  try {
    parsed = parseIJsonBytes(bytes);
  } catch (e) {
    return { ok: false, code: 'bad_entry_encoding', message: `not I-JSON: ${(e as Error).message}` };
  }
  let canon: Uint8Array;
  try {
    canon = canonicalBytes(parsed);
  } catch (e) {
    return { ok: false, code: 'bad_entry_encoding', message: `cannot be canonicalized: ${(e as Error).message}` };
  }
  if (!equalBytes(canon, bytes)) return { ok: false, code: 'bad_entry_encoding', message: 'not in RFC 8785 canonical form' };
  if (!isPlainObject(parsed)) return { ok: false, code: 'bad_entry', message: 'not a JSON object' };
  if (parsed.v !== 2) return { ok: false, code: 'unsupported_version', message: `an entry of version ${JSON.stringify(parsed.v ?? null)} in a version 2 bundle` };
  for (const k of Object.keys(parsed)) if (!ENTRY_FIELDS.has(k)) return { ok: false, code: 'bad_entry', message: `unknown field ${JSON.stringify(k)}` };
  const { seq, prev, time } = parsed;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return { ok: false, code: 'bad_entry', message: 'seq is not an integer ≥ 0' };
  if (typeof prev !== 'string' || !HEX64.test(prev)) return { ok: false, code: 'bad_entry', message: 'prev is not 64 lowercase hex digits' };
  if (typeof time !== 'string' || !isUtcTime(time)) return { ok: false, code: 'bad_entry', message: 'time is not an RFC 3339 UTC time' };
  const effects = commitment(parsed.effects);
  if (!effects) return { ok: false, code: 'bad_entry', message: 'effects is not {root: 64 hex, count: integer ≥ 0}' };
  let state: Commitment | undefined;
  if ('state' in parsed) {
    const s = commitment(parsed.state);
    if (!s) return { ok: false, code: 'bad_entry', message: 'state is not {root: 64 hex, count: integer ≥ 0}' };
    state = s;
  }
  const ev = validateEnvelope(parsed.event);
  if (!ev.ok) return { ok: false, code: 'bad_entry', message: `its event is not an event: ${ev.message}` };
  const entry: EntryV2 = { v: 2, seq: seq as number, prev, time, event: ev.event, effects };
  if (state) entry.state = state;
  return { ok: true, entry };
}
