// Shape validation of DESIGN.md "Wire formats (version 1)": the envelope and its bodies
// ("Event envelope", "Bodies") and the logged entry ("Entries"), against the JSON Schemas
// (draft 2020-12) in ../schemas, which are normative and published in the OpenAPI document.
// Only shape is checked here; keys are parsed, amounts bounded and references resolved by
// the state machine, which answers with the more specific codes.

import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import defs from '../schemas/defs.json' with { type: 'json' };
import amount from '../schemas/amount.json' with { type: 'json' };
import docHash from '../schemas/docHash.json' with { type: 'json' };
import orgRegister from '../schemas/org.register.json' with { type: 'json' };
import orgKeys from '../schemas/org.keys.json' with { type: 'json' };
import fundOpen from '../schemas/fund.open.json' with { type: 'json' };
import donation from '../schemas/donation.json' with { type: 'json' };
import transfer from '../schemas/transfer.json' with { type: 'json' };
import disbursement from '../schemas/disbursement.json' with { type: 'json' };
import confirmation from '../schemas/confirmation.json' with { type: 'json' };
import reversal from '../schemas/reversal.json' with { type: 'json' };
import giftBatch from '../schemas/gift.batch.json' with { type: 'json' };
import envelope from '../schemas/envelope.json' with { type: 'json' };
import entry from '../schemas/entry.json' with { type: 'json' };
import { reject, type Rejection } from './errors.ts';
import { MAX_CLOCK_AHEAD_MS } from './limits.ts';
import type { Entry, Envelope } from './types.ts';

/** The raw schema objects by file name (for the OpenAPI document and other languages). */
export const schemas = {
  defs,
  amount,
  docHash,
  'org.register': orgRegister,
  'org.keys': orgKeys,
  'fund.open': fundOpen,
  donation,
  transfer,
  disbursement,
  confirmation,
  reversal,
  'gift.batch': giftBatch,
  envelope,
  entry,
} as const;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A real RFC 3339 UTC instant of the form YYYY-MM-DDTHH:MM:SS[.fraction]Z: the pattern
 * in defs.json fixes the shape, this checks the calendar (month 01-12, the day exists in
 * that month, leap years by the Gregorian rule, hour 00-23, minute and second 00-59; leap
 * seconds are refused because Date cannot represent them and clocks smear them anyway).
 * Registered as ajv's "date-time" format so that the error carries the JSON pointer.
 */
export function isUtcTime(s: string): boolean {
  if (typeof s !== 'string') return false;
  const n = s.length;
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 0x5a /* Z */) return false;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return false;
  const num = (a: number, b: number): number => {
    let v = 0;
    for (let k = a; k < b; k++) {
      const d = s.charCodeAt(k) - 0x30;
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  };
  const year = num(0, 4);
  const month = num(5, 7);
  const day = num(8, 10);
  const hour = num(11, 13);
  const minute = num(14, 16);
  const second = num(17, 19);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const dim = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > dim) return false;
  if (n === 20) return true;
  // Fraction: '.' then 1-9 digits then 'Z'.
  if (s[19] !== '.' || n - 21 < 1 || n - 21 > 9) return false;
  return num(20, n - 1) >= 0;
}

const ajv = new Ajv2020({
  strict: true,
  allErrors: false,
  // The only format we use; an own implementation so that no extra dependency is needed
  // and the calendar rule above is the one applied.
  formats: { 'date-time': { type: 'string', validate: isUtcTime } },
  schemas: [defs, amount, docHash, orgRegister, orgKeys, fundOpen, donation, transfer, disbursement, confirmation, reversal, giftBatch, envelope, entry],
});

function compiled(id: string): ValidateFunction {
  const v = ajv.getSchema(id);
  if (!v) throw new Error(`schema ${id} did not compile`);
  return v;
}

const validateEnvelopeFn = compiled(envelope.$id);
const validateEntryFn = compiled(entry.$id);

/** Names the first problem ajv found by its JSON pointer, e.g. "/body/amount/value: must match ...". */
export function describeSchemaError(errors: ErrorObject[] | null | undefined, root = ''): string {
  if (!errors || errors.length === 0) return 'invalid';
  // ajv reports the failing branches of an anyOf before the anyOf itself; the anyOf is
  // the problem to name. Otherwise the first error is the innermost one (if/then puts
  // the body's own error first), which is the most useful.
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0]!;
  let where = root + e.instancePath;
  let what = e.message ?? 'is invalid';
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') {
    where += '/' + escapePointer(String(p.additionalProperty));
    what = 'is not allowed';
  } else if (e.keyword === 'required') {
    where += '/' + escapePointer(String(p.missingProperty));
    what = 'is required';
  } else if (e.keyword === 'enum') {
    what = `must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
  } else if (e.keyword === 'format') {
    what = 'must be an RFC 3339 UTC time ending in Z with a real date';
  } else if (e.keyword === 'anyOf') {
    // The only anyOf in our schemas is org.keys' "add or revoke something".
    what = 'must add or revoke at least one key';
  } else if (e.keyword === 'const') {
    what = `must be ${JSON.stringify(p.allowedValue)}`;
  }
  return `${where || '/'} ${what}`;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Checks the shape of a posted envelope (already parsed as I-JSON). On failure answers
 * the 400 `schema` rejection naming the JSON pointer of the first problem.
 */
export function validateEnvelope(value: unknown): { ok: true; event: Envelope } | Rejection {
  if (validateEnvelopeFn(value)) return { ok: true, event: value as Envelope };
  return reject('schema', describeSchemaError(validateEnvelopeFn.errors));
}

/** Checks the shape of a logged entry {seq, prev, time, event, effects} (auditor, verifier). */
export function validateEntryShape(value: unknown): { ok: true; entry: Entry } | Rejection {
  if (validateEntryFn(value)) return { ok: true, entry: value as Entry };
  return reject('schema', describeSchemaError(validateEntryFn.errors));
}

/** Milliseconds since the epoch of a time isUtcTime accepts (fraction truncated to ms); NaN otherwise. */
export function utcTimeMillis(time: string): number {
  if (!isUtcTime(time)) return NaN;
  const ms = time.length > 20 ? Number((time.slice(20, -1) + '00').slice(0, 3)) : 0;
  const d = Date.UTC(
    Number(time.slice(0, 4)), Number(time.slice(5, 7)) - 1, Number(time.slice(8, 10)),
    Number(time.slice(11, 13)), Number(time.slice(14, 16)), Number(time.slice(17, 19)), ms,
  );
  // Date.UTC maps years 0-99 to 1900-1999; put them back where RFC 3339 says they are.
  const year = Number(time.slice(0, 4));
  return year < 100 ? new Date(d).setUTCFullYear(year) : d;
}


/** The 400 `schema` rejection when event.time is more than maxAheadMs after nowMs, else null. */
export function checkClockSkew(event: { time: string }, nowMs: number, maxAheadMs = MAX_CLOCK_AHEAD_MS): Rejection | null {
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new TypeError('checkClockSkew: parameter "nowMs" must be a finite number');
  const t = utcTimeMillis(event?.time);
  if (Number.isNaN(t)) return reject('schema', '/time must be an RFC 3339 UTC time ending in Z with a real date');
  if (t - nowMs > maxAheadMs) return reject('schema', `/time is more than ${Math.round(maxAheadMs / 1000)} s ahead of the server's clock`);
  return null;
}
