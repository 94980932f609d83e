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
import { m } from './strings.ts';
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
    throw usage(m('common.notUrl', { option, value: JSON.stringify(server) }));
  }
}

/** Reads a signer key file (mode 0600 only), naming the option in every error. */
export function loadSignerKey(file: string, option = '--key'): { signerKey: string; key: SignerKey } {
  let text: string;
  try {
    text = readKeyFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage(m('common.noKeyFile', { option, file }));
    if (code === 'EISDIR') throw usage(m('common.keyFileIsDir', { option, file }));
    if (e instanceof KeyFileError) throw usage(m('common.keyFileRefused', { option, reason: e.message }));
    // parseSignerKey errors name the file and never quote the key.
    throw usage(m('common.notSignerKey', { option, file, reason: (e as Error).message }));
  }
  return { signerKey: text, key: parseSignerKey(text) };
}

export function needId(value: string, option: string): string {
  if (!ID_RE.test(value)) throw usage(m('common.notId', { option, value: JSON.stringify(value) }));
  return value;
}

export function needText(value: string, option: string, max: number): string {
  if (value === '') throw usage(m('common.empty', { option }));
  const n = [...value].length;
  if (n > max) throw usage(m('common.tooLong', { option, n, max }));
  if (!isWellFormed(value)) throw usage(m('common.badUnicode', { option }));
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
  if (values.length === 0) throw usage(m('common.noRole', { option, roles: ROLES.join(', ') }));
  for (const r of values) {
    if (!(ROLES as readonly string[]).includes(r)) throw usage(m('common.unknownRole', { option, role: JSON.stringify(r), roles: ROLES.join(', ') }));
  }
  if (new Set(values).size !== values.length) throw usage(m('common.roleTwice', { option }));
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
    const hint = /^[A-Za-z]{3}$/.test(value) ? m('common.didYouMean', { value: value.toUpperCase() }) : '';
    throw usage(m('common.notCurrency', { option, value: JSON.stringify(value), hint }));
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
  const help = d === 0 ? m('amount.noMinor', { currency }) : m('amount.help', { d, example });
  let minor: bigint;
  if (/^[1-9][0-9]*$/.test(value)) {
    minor = BigInt(value);
  } else if (d > 0 && new RegExp(`^(0|[1-9][0-9]*)\\.[0-9]{${d}}$`).test(value)) {
    minor = BigInt(value.replace('.', ''));
  } else if (/^(0|[1-9][0-9]*)\.[0-9]+$/.test(value) && d > 0) {
    const got = value.split('.')[1]!.length;
    throw usage(m(got === 1 ? 'amount.digits1' : 'amount.digits', { option, value: JSON.stringify(value), got, currency, d, help }));
  } else {
    throw usage(m('amount.notAmount', { option, value: JSON.stringify(value), help }));
  }
  if (minor <= 0n) throw usage(m('amount.zero', { option, value: JSON.stringify(value) }));
  if (minor > MAX_MINOR) throw usage(m('amount.tooBig', { option, value: JSON.stringify(value) }));
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
      throw usage(m(code === 'ENOENT' ? 'file.missing' : code === 'EISDIR' ? 'file.isDir' : 'file.cannotRead', { option, file: f, reason: (e as Error).message }));
    }
    const name = path.basename(f);
    needText(name, m('file.itsName', { option, file: f }), 256);
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

/** What the server said about one posted event: the `--json` shape of each result (README "The CLI", "--json"). */
export interface PostOutcome {
  type: string;
  id: string;
  accepted: boolean;
  /** the HTTP status of this event's answer */
  status: number;
  seq?: number;
  leafHash?: string;
  /** the size of the checkpoint the inclusion proof is against */
  checkpointSize?: number;
  /** true when the identical event was already in the log (200, not 201) */
  duplicate?: boolean;
  error?: { code: string; message: string };
  /** the line printed for a person */
  line: string;
}

interface Accepted {
  seq: number;
  leafHash: string;
  proof?: { size?: number };
}

const str = (x: unknown, fallback: string) => (typeof x === 'string' ? x : fallback);

/** One line describing a server result for an event (status: the HTTP status for a single post). */
export function describeResult(event: { type?: unknown; id?: unknown }, status: number, body: any): PostOutcome {
  const type = str(event?.type, '?');
  const id = str(event?.id, '?');
  const what = `${say(type)} ${say(id)}`;
  if ((status === 200 || status === 201) && body && typeof body.seq === 'number') {
    const a = body as Accepted;
    const size = typeof a.proof?.size === 'number' ? a.proof.size : undefined;
    const parts = [m('post.accepted', { what, seq: a.seq, leaf: say(a.leafHash, 80) })];
    if (size !== undefined) parts.push(m('post.inCheckpoint', { size }));
    if (status === 200) parts.push(m('post.duplicate'));
    return { type, id, accepted: true, status, seq: a.seq, leafHash: str(a.leafHash, ''), checkpointSize: size, duplicate: status === 200, line: parts.join('') };
  }
  const e = body?.error;
  const code = str(e?.code, 'error');
  const message = str(e?.message, JSON.stringify(body) ?? '');
  return {
    type,
    id,
    accepted: false,
    status: typeof status === 'number' ? status : 0,
    error: { code, message },
    line: m('post.rejected', { what, status: say(status, 8), code: say(code, 64), message: say(message, 500) }),
  };
}

/**
 * Posts one event or an array (one POST) and prints a line per event (none with `json`:
 * the command prints its JSON document). Returns the exit code: 0 all accepted, 1 any
 * rejected; a network error or a server failure (5xx) is 2.
 */
export async function postAndReport(c: LedgerClient, events: Envelope | Envelope[], io: Io, json = false): Promise<{ code: 0 | 1; outcomes: PostOutcome[] }> {
  let r: { status: number; body: any };
  try {
    r = await c.post(events);
  } catch (e) {
    throw usage(e instanceof ClientError ? `--server: ${e.message}` : (e as Error).message);
  }
  if (r.status >= 500) {
    throw usage(m('post.serverFailed', { server: say(c.base), status: r.status, code: say(r.body?.error?.code ?? '', 64), message: say(r.body?.error?.message ?? '', 500) }).trim());
  }
  const outcomes: PostOutcome[] = [];
  if (Array.isArray(events)) {
    if (r.status === 200 && Array.isArray(r.body) && r.body.length === events.length) {
      events.forEach((ev, i) => outcomes.push(describeResult(ev, r.body[i]?.status, r.body[i])));
    } else {
      // The array was refused whole (400 schema, 413 too_large, …): each event carries the refusal.
      const e = r.body?.error;
      const code = str(e?.code, 'error');
      const message = str(e?.message, '');
      const line = m('post.rejectedArray', { n: events.length, status: r.status, code: say(code, 64), message: say(message, 500) }).trimEnd();
      for (const ev of events) outcomes.push({ type: str(ev.type, '?'), id: str(ev.id, '?'), accepted: false, status: r.status, error: { code, message }, line });
    }
  } else {
    outcomes.push(describeResult(events, r.status, r.body));
  }
  // A whole-array refusal is one line, not one per event.
  if (!json) for (const line of new Set(outcomes.map((o) => o.line))) io.out(line);
  return { code: outcomes.every((o) => o.accepted) ? 0 : 1, outcomes };
}

/** An outcome as the `--json` document shows it (without the person's line). */
export function outcomeJson(o: PostOutcome): Omit<PostOutcome, 'line'> {
  const { line: _line, ...rest } = o;
  return rest;
}

// Characters JSON.stringify leaves as they are but a terminal must not receive raw (C1
// controls, bidi overrides and isolates, zero-width and line/paragraph separators; issue 9,
// "terminal escapes"): written as \uXXXX escapes, which JSON reads back as the same string.
const JSON_UNSAFE = /[\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/g;

/** A `--json` document: one line of JSON, safe for a terminal, the same value for a parser. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The `--json` document of a posting command: `{"results": [outcome…], …extra}`. */
export function printJson(io: Io, outcomes: PostOutcome[], extra: Record<string, unknown> = {}): void {
  io.out(jsonText({ results: outcomes.map(outcomeJson), ...extra }));
}

export { currencyDecimals, formatAmount };
