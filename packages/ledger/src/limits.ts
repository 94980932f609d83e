// The wire format's limits and shapes that more than one module checks (DESIGN.md "Wire
// formats (version 1)"): written once here, imported by the ledger, the verifier, the
// server, the CLI and the page, so they cannot drift apart. The JSON Schemas
// (../schemas/defs.json) state the id pattern too; test/ledger/limits.test.ts holds them equal.

/** 2^63 − 1: the largest amount and the largest balance (DESIGN.md "Bodies": 422 bad_amount above it). */
export const MAX_VALUE = (1n << 63n) - 1n;

/** Event, org and fund ids (DESIGN.md "Event envelope"). */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
export const ID_RE = new RegExp(ID_PATTERN);

/** True when `x` is a string of the id pattern. */
export function isId(x: unknown): x is string {
  return typeof x === 'string' && ID_RE.test(x);
}

/** DESIGN.md "Posting": an event's time may be at most 5 minutes ahead of the server's clock (400 schema). */
export const MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000;

/** A JSON object as parsed (not an array, not null, not a class instance). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
