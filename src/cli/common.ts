// Shared pieces of the posting commands (keygen, org, post, the charity shortcuts):
// errors that carry an exit code, key files, amounts, document hashes, ids, and printing
// the server's answers. Exit codes (DESIGN.md "The CLI"): 0 success, 1 a check failed or
// the server rejected an event, 2 usage, file or network error.
import { currencyDecimals, formatAmount, MAX_VALUE } from '@cotc/ledger';
import fs from 'node:fs';
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex, isWellFormed, parseSignerKey, parseVerifierKey, type SignerKey } from '@cotc/tlog';
import { ROLES, signEvent, type Amount, type BodyByType, type DocHash, type Envelope, type EventType, type Role } from '@cotc/ledger';
import { safeText } from '@cotc/verify';
import { ClientError, LedgerClient } from '../client/client.ts';
import { KeyFileError, readKeyFile } from '../log/datadir.ts';
import { ID_RE } from '@cotc/ledger';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export { ID_RE };

/** An error the CLI reports as `cotc: <message>` and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage, file or network problem: exit 2. */
export const usage = (message: string): CliError => new CliError(message, 2);

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * The last line of defence before a terminal (issue 9, "terminal escapes"): every
 * character of `text` outside printable ASCII (but the newlines between its lines) goes
 * through safeText, the one escaping function (@cotc/verify), which leaves ✓, └─ and
 * letters of any script as they are and escapes controls, ESC, C1, bidi overrides and
 * isolates, zero-width and other invisible characters. Strings from outside are also
 * escaped where they are put into a line (safeText there too); this catches any the
 * code missed. Idempotent: safeText's output is printable.
 */
export function safeLines(text: string): string {
  return String(text)
    .split('\n')
    .map((l) => l.replace(/[^\x20-\x7e]/gu, (c) => safeText(c, 16)))
    .join('\n');
}

/** Escapes one string from outside (a server, a bundle, another org) for a line of output. */
export const say = (x: unknown, max = 300): string => safeText(x, max);

export const stdio: Io = { out: (l) => console.log(safeLines(l)), err: (l) => console.error(safeLines(l)) };

/** A client for --server, refusing what is not an http(s) URL. */
export function client(server: string, option = '--server'): LedgerClient {
  try {
    return new LedgerClient(server);
  } catch {
    throw usage(`${option}: ${JSON.stringify(server)} is not an http(s) URL`);
  }
}

/** Reads a signer key file (mode 0600 only), naming the option in every error. */
export function loadSignerKey(file: string, option = '--key'): { signerKey: string; key: SignerKey } {
  let text: string;
  try {
    text = readKeyFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage(`${option}: no key file ${file}`);
    if (code === 'EISDIR') throw usage(`${option}: ${file} is a directory, not a key file`);
    if (e instanceof KeyFileError) throw usage(`${option}: refused: ${e.message}`);
    // parseSignerKey errors name the file and never quote the key.
    throw usage(`${option}: ${file} does not hold a signer key: ${(e as Error).message}`);
  }
  return { signerKey: text, key: parseSignerKey(text) };
}

export function needId(value: string, option: string): string {
  if (!ID_RE.test(value)) throw usage(`${option}: ${JSON.stringify(value)} is not an id (letters, digits and . _ : -, starting with a letter or digit, at most 128)`);
  return value;
}

export function needText(value: string, option: string, max: number): string {
  if (value === '') throw usage(`${option}: must not be empty`);
  const n = [...value].length;
  if (n > max) throw usage(`${option}: ${n} characters, at most ${max} allowed`);
  if (!isWellFormed(value)) throw usage(`${option}: not well-formed Unicode`);
  return value;
}

export function needVerifierKey(value: string, option: string): string {
  try {
    parseVerifierKey(value, option);
  } catch (e) {
    throw usage((e as Error).message.startsWith(option) ? (e as Error).message : `${option}: ${(e as Error).message}`);
  }
  return value;
}

export function needRoles(values: string[], option = '--role'): Role[] {
  if (values.length === 0) throw usage(`${option}: give at least one role (${ROLES.join(', ')})`);
  for (const r of values) {
    if (!(ROLES as readonly string[]).includes(r)) throw usage(`${option}: unknown role ${JSON.stringify(r)}; roles are ${ROLES.join(', ')}`);
  }
  if (new Set(values).size !== values.length) throw usage(`${option}: a role is given twice`);
  return values as Role[];
}

/** Commander collector for options given as A,B or repeated: --key A --key B,C. */
export function commaList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim())];
}

/** Commander collector for repeatable options. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function needCurrency(value: string, option = '--currency'): string {
  if (!/^[A-Z]{3}$/.test(value)) {
    const hint = /^[A-Za-z]{3}$/.test(value) ? ` (did you mean ${value.toUpperCase()}?)` : '';
    throw usage(`${option}: ${JSON.stringify(value)} is not a currency code (3 capital letters, ISO 4217: CNY, USD, EUR…)${hint}`);
  }
  return value;
}

const MAX_MINOR = MAX_VALUE;

/**
 * Parses --amount strictly: minor units as an integer ("1234" = 12.34 CNY) or a decimal
 * with exactly the currency's number of fraction digits ("12.34" for CNY). Nothing else:
 * no signs, exponents, separators, spaces, leading zeros, or other decimal counts.
 */
export function parseAmount(value: string, currency: string, option = '--amount'): Amount {
  const d = currencyDecimals(currency);
  const example = `12.${'3456'.slice(0, d)}`;
  const help = d === 0 ? `${currency} has no minor unit: give a whole number like 1234` : `give minor units as an integer (1234) or a decimal with exactly ${d} fraction digits (${example})`;
  let minor: bigint;
  if (/^[1-9][0-9]*$/.test(value)) {
    minor = BigInt(value);
  } else if (d > 0 && new RegExp(`^(0|[1-9][0-9]*)\\.[0-9]{${d}}$`).test(value)) {
    minor = BigInt(value.replace('.', ''));
  } else if (/^(0|[1-9][0-9]*)\.[0-9]+$/.test(value) && d > 0) {
    const got = value.split('.')[1]!.length;
    throw usage(`${option}: ${JSON.stringify(value)} has ${got} fraction digit${got === 1 ? '' : 's'}, ${currency} has ${d}: ${help}`);
  } else {
    throw usage(`${option}: ${JSON.stringify(value)} is not an amount: ${help}`);
  }
  if (minor <= 0n) throw usage(`${option}: ${JSON.stringify(value)}: the amount must be more than zero`);
  if (minor > MAX_MINOR) throw usage(`${option}: ${JSON.stringify(value)} is more than 2^63-1 minor units`);
  return { currency, value: minor.toString() };
}

/** SHA-256 of each file, named by its basename: the documents never leave the machine. */
export function hashFiles(files: string[] | undefined, option: string): DocHash[] {
  const out: DocHash[] = [];
  for (const f of files ?? []) {
    let data: Buffer;
    try {
      data = fs.readFileSync(f);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw usage(`${option}: cannot read ${f}${code === 'ENOENT' ? ': no such file' : code === 'EISDIR' ? ': it is a directory' : `: ${(e as Error).message}`}`);
    }
    const name = path.basename(f);
    needText(name, `${option} ${f} (its name)`, 256);
    out.push({ sha256: hex(sha256(data)), name });
  }
  return out;
}

// Crockford's base32 without I, L, O, U: readable, unambiguous when read aloud.
const READABLE = '0123456789abcdefghjkmnpqrstvwxyz';

/** A fresh, readable event id: prefix-YYYYMMDD-xxxxxxxx (40 random bits). */
export function randomId(prefix: string): string {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  let s = '';
  for (const x of b) s += READABLE[x & 31];
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return `${prefix}-${day}-${s}`;
}

/** The current time, RFC 3339 UTC with a Z and whole seconds. */
export function nowTime(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Builds and signs an envelope of `type` by the key's org. */
export function buildEvent<T extends EventType>(key: { signerKey: string; key: SignerKey }, type: T, id: string, body: BodyByType[T]): Envelope<T> {
  return signEvent({ v: 1, type, id, org: key.key.name, time: nowTime(), body } as never, key.signerKey) as Envelope<T>;
}

export type PostOutcome = { accepted: boolean; line: string; seq?: number; checkpointSize?: number };

interface Accepted {
  seq: number;
  leafHash: string;
  proof?: { size?: number };
}

/** One line describing a server result for an event (status: the HTTP status for a single post). */
export function describeResult(event: { type?: unknown; id?: unknown }, status: number, body: any): PostOutcome {
  const what = `${say(event?.type ?? '?')} ${say(event?.id ?? '?')}`;
  if ((status === 200 || status === 201) && body && typeof body.seq === 'number') {
    const a = body as Accepted;
    const size = a.proof?.size;
    const again = status === 200 ? ' (already in the log: the identical event was posted before)' : '';
    return {
      accepted: true,
      seq: a.seq,
      checkpointSize: size,
      line: `accepted ${what}: seq ${a.seq}, leaf ${say(a.leafHash, 80)}${size !== undefined ? `, included in checkpoint of size ${say(size, 24)}` : ''}${again}`,
    };
  }
  const e = body?.error;
  return { accepted: false, line: `rejected ${what}: ${say(status, 8)} ${say(e?.code ?? 'error', 64)}: ${say(e?.message ?? JSON.stringify(body), 500)}` };
}

/**
 * Posts one event or an array (one POST) and prints a line per event. Returns the exit
 * code: 0 all accepted, 1 any rejected; a network error or a server failure (5xx) is 2.
 */
export async function postAndReport(c: LedgerClient, events: Envelope | Envelope[], io: Io): Promise<{ code: 0 | 1; outcomes: PostOutcome[] }> {
  let r: { status: number; body: any };
  try {
    r = await c.post(events);
  } catch (e) {
    throw usage(e instanceof ClientError ? `--server: ${e.message}` : (e as Error).message);
  }
  if (r.status >= 500) {
    throw usage(`--server: ${say(c.base)} failed: ${r.status} ${say(r.body?.error?.code ?? '', 64)} ${say(r.body?.error?.message ?? '', 500)}`.trim());
  }
  const outcomes: PostOutcome[] = [];
  if (Array.isArray(events)) {
    if (r.status === 200 && Array.isArray(r.body) && r.body.length === events.length) {
      events.forEach((ev, i) => outcomes.push(describeResult(ev, r.body[i]?.status, r.body[i])));
    } else {
      // The array was refused whole (400 schema, 413 too_large, …).
      const e = r.body?.error;
      outcomes.push({ accepted: false, line: `rejected the whole array of ${events.length}: ${r.status} ${say(e?.code ?? 'error', 64)}: ${say(e?.message ?? '', 500)}`.trimEnd() });
    }
  } else {
    outcomes.push(describeResult(events, r.status, r.body));
  }
  for (const o of outcomes) io.out(o.line);
  return { code: outcomes.every((o) => o.accepted) ? 0 : 1, outcomes };
}

export { currencyDecimals, formatAmount };
