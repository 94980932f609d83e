// The hostile corpus (test/hostile/corpus/*.json): requests a server must refuse, kept as
// data. This module loads the cases, sets up the state they refer to, and turns each case
// into raw request bytes. corpus.test.ts runs them.
//
// A case:
//   {"name", "category", "method", "path",
//    "headers"?: {name: value | null},           null drops a default header
//    "body"?: "raw text",                         sent as UTF-8
//    "bodyBase64"?: "...",                        raw bytes
//    "signed"?: {...},                            an event signed now (below)
//    "chunked"?: true,                            body sent with Transfer-Encoding: chunked
//    "expect": {"status", "code"}}
// `code` is the error code of the JSON answer {"error": {"code", "message"}}; every answer
// of the corpus has that shape, including what node's HTTP parser refuses before express
// sees it (431 headers_too_large, 400 bad_request, 408 timeout: see src/server.ts).
//
// Strings in path, headers, body and signed bodies expand `$(...)` templates:
//   $(repeat:N:text)  text N times          $(uid)    a fresh id
//   $(donor)          64 random hex          $(now:±ms) an RFC 3339 time, now + ms
//
// "signed": {"as": signer, "type", "body", "id"?, "org"?, "time"?, "v"?,
//            "replay"?: a setup event's name instead of type/body (the exact posted event),
//            then, after signing: "set"?: {"a.b": value}, "unset"?: ["a.b"],
//            "text"?: [[from, to]…] replacements in the JSON text (each must occur),
//            "append"?/"prepend"?: text, "truncate"?: n (keep n chars; negative: drop -n),
//            "encoding"?: "utf16le" | "latin1" (instead of UTF-8)}
// Signers: operator, charity, other, payee, auditor, rot (current key of org rot),
// rotRevoked (a revoked key of rot), ghost (an org never registered).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { signEvent } from '@cotc/ledger';
import { cny, donor, ev, newOrg, now, sha, uid, type Org } from '../helpers/events.ts';

export interface CorpusCase {
  name: string;
  category: string;
  method: string;
  path: string;
  headers?: Record<string, string | null>;
  body?: string;
  bodyBase64?: string;
  signed?: SignedSpec;
  chunked?: boolean;
  expect: { status: number; code: string };
  file?: string;
}

export interface SignedSpec {
  as: string;
  type?: string;
  body?: unknown;
  id?: string;
  org?: string;
  time?: string;
  v?: unknown;
  replay?: string;
  set?: Record<string, unknown>;
  unset?: string[];
  text?: Array<[string, string]>;
  append?: string;
  prepend?: string;
  truncate?: number;
  encoding?: 'utf16le' | 'latin1';
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const CORPUS_DIR = path.join(here, 'corpus');

export function loadCorpus(dir = CORPUS_DIR): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const list = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CorpusCase[];
    if (!Array.isArray(list)) throw new Error(`${f}: expected an array of cases`);
    for (const c of list) out.push({ ...c, file: f });
  }
  return out;
}

/** Checks a case's own shape (a typo in the data must not pass as a refusal). */
export function checkCase(c: CorpusCase): string | null {
  const known = new Set(['name', 'category', 'method', 'path', 'headers', 'body', 'bodyBase64', 'signed', 'chunked', 'expect', 'file']);
  for (const k of Object.keys(c)) if (!known.has(k)) return `unknown field ${k}`;
  if (typeof c.name !== 'string' || !c.name) return 'no name';
  if (typeof c.category !== 'string' || !c.category) return 'no category';
  if (typeof c.method !== 'string' || typeof c.path !== 'string') return 'no method/path';
  const bodies = [c.body, c.bodyBase64, c.signed].filter((x) => x !== undefined).length;
  if (bodies > 1) return 'more than one of body, bodyBase64, signed';
  if (typeof c.expect?.status !== 'number' || typeof c.expect?.code !== 'string') return 'expect needs {status, code}';
  if (c.expect.status < 400) return 'the corpus holds refusals only';
  return null;
}

// ---- the state the cases refer to ------------------------------------------------------

export const MAX = '9223372036854775807'; // 2^63 - 1

export interface CorpusState {
  signers: Record<string, Org>;
  /** setup events by name, exactly as posted */
  events: Record<string, Record<string, unknown>>;
}

/**
 * Builds the setup: returns the batches to post (each must be accepted whole) and the
 * state. Orgs charity, other (charities), payee, auditor, rot (two keys, one revoked);
 * funds c-cny (1490 CNY), c-cny2 (empty), c-usd, c-big (2^63-1), o-cny (other's, 50);
 * donations dA (1000, partly disbursed), dMoved (moved on by transfer t1), dRef (refunded).
 */
export function buildSetup(operatorKey: string): { batches: unknown[][]; state: CorpusState } {
  const operator: Org = { id: 'operator', signerKey: operatorKey, verifierKey: '' };
  const charity = newOrg('charity');
  const other = newOrg('other');
  const payee = newOrg('payee');
  const auditor = newOrg('auditor');
  const rot = newOrg('rot');
  const rotRevoked = newOrg('rot');
  const ghost = newOrg('ghost');
  const reg = (o: Org, roles: string[], keys = [o.verifierKey]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys }, `reg-${o.id}`);
  const fund = (o: Org, id: string, currency = 'CNY') => ev(o, 'fund.open', { fund: id, name: `Fund ${id}`, currency, restricted: false, purpose: 'hostile corpus' }, `open-${id}`);
  const don = (o: Org, f: string, value: string, id: string) => ev(o, 'donation', { fund: f, amount: cny(value), donor: donor(id), channel: 'goods-for-good' }, id);
  const events: Record<string, Record<string, unknown>> = {};
  const named = <T extends Record<string, unknown>>(n: string, e: T): T => ((events[n] = e), e);
  const batches: unknown[][] = [
    [
      named('regCharity', reg(charity, ['charity'])),
      reg(other, ['charity']),
      reg(payee, ['payee']),
      reg(auditor, ['auditor']),
      reg(rot, ['charity'], [rot.verifierKey, rotRevoked.verifierKey]),
    ],
    [named('openCny', fund(charity, 'c-cny')), fund(charity, 'c-cny2'), fund(charity, 'c-usd', 'USD'), fund(charity, 'c-big'), fund(other, 'o-cny'), named('openRot', fund(rotRevoked, 'rot-fund'))],
    [
      named('dA', don(charity, 'c-cny', '1000', 'dA')),
      don(charity, 'c-cny2', '500', 'dMoved'),
      don(charity, 'c-cny', '100', 'dRef'),
      don(charity, 'c-big', MAX, 'dMax'),
      don(other, 'o-cny', '50', 'dOther'),
      named('disb1', ev(charity, 'disbursement', { fund: 'c-cny', amount: cny(10), payee: 'payee', purpose: 'water filters', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] }, 'disb1')),
    ],
    [
      named('t1', ev(charity, 'transfer', { from: 'c-cny2', to: 'c-cny', amount: cny(500), memo: 'consolidate' }, 't1')),
      named('revRef', ev(charity, 'reversal', { event: 'dRef', reason: 'refund' }, 'rev-dRef')),
      named('conf1', ev(payee, 'confirmation', { disbursement: 'disb1', statement: '236 water filters installed', evidence: [] }, 'conf1')),
      ev(rot, 'org.keys', { org: 'rot', add: [], revoke: [rotRevoked.verifierKey] }, 'rot-revoke'),
    ],
  ];
  return { batches, state: { signers: { operator, charity, other, payee, auditor, rot, rotRevoked, ghost }, events } };
}

// ---- expanding a case into bytes ---------------------------------------------------------

/** Expands $(...) templates in a string. */
export function expand(s: string): string {
  return s.replace(/\$\((repeat|uid|donor|now)(?::([^)]*))?\)/g, (_m, fn: string, arg?: string) => {
    switch (fn) {
      case 'repeat': {
        const i = arg!.indexOf(':');
        return arg!.slice(i + 1).repeat(Number(arg!.slice(0, i)));
      }
      case 'uid':
        return uid('h');
      case 'donor':
        return randomBytes(32).toString('hex');
      case 'now':
        return now(Number(arg ?? 0));
      default:
        throw new Error(fn);
    }
  });
}

function expandDeep(v: unknown): unknown {
  if (typeof v === 'string') return expand(v);
  if (Array.isArray(v)) return v.map(expandDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandDeep(x)]));
  return v;
}

function setPath(o: Record<string, unknown>, p: string, value: unknown, remove = false): void {
  const parts = p.split('.');
  let cur: any = o;
  for (const k of parts.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) throw new Error(`set ${p}: no object at ${k}`);
    cur = cur[k];
  }
  const last = parts[parts.length - 1]!;
  if (remove) delete cur[last];
  else cur[last] = value;
}

export function signedBody(spec: SignedSpec, st: CorpusState): Buffer {
  let event: Record<string, unknown>;
  if (spec.replay !== undefined) {
    const base = st.events[spec.replay];
    if (!base) throw new Error(`replay: no setup event ${spec.replay}`);
    event = structuredClone(base);
  } else {
    const key = st.signers[spec.as];
    if (!key) throw new Error(`signed.as: no signer ${spec.as}`);
    const unsigned = {
      v: spec.v ?? 1,
      type: spec.type,
      id: spec.id !== undefined ? expand(spec.id) : uid('h'),
      org: spec.org ?? key.id,
      time: spec.time !== undefined ? expand(spec.time) : now(),
      body: expandDeep(spec.body),
    };
    event = signEvent(unsigned as never, key.signerKey) as Record<string, unknown>;
  }
  for (const [p, v] of Object.entries(spec.set ?? {})) setPath(event, p, expandDeep(v));
  for (const p of spec.unset ?? []) setPath(event, p, undefined, true);
  let text = JSON.stringify(event);
  for (const [from, to] of spec.text ?? []) {
    if (!text.includes(from)) throw new Error(`text: ${JSON.stringify(from)} not in ${text}`);
    text = text.replace(from, expand(to));
  }
  if (spec.prepend !== undefined) text = expand(spec.prepend) + text;
  if (spec.append !== undefined) text += expand(spec.append);
  if (spec.truncate !== undefined) text = spec.truncate >= 0 ? text.slice(0, spec.truncate) : text.slice(0, spec.truncate);
  return Buffer.from(text, spec.encoding ?? 'utf8');
}

export function requestOf(c: CorpusCase, st: CorpusState) {
  let body: Buffer | undefined;
  if (c.body !== undefined) body = Buffer.from(expand(c.body), 'utf8');
  else if (c.bodyBase64 !== undefined) body = Buffer.from(c.bodyBase64, 'base64');
  else if (c.signed !== undefined) body = signedBody(c.signed, st);
  const headers: Record<string, string | null> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  for (const [k, v] of Object.entries(c.headers ?? {})) {
    for (const d of Object.keys(headers)) if (d.toLowerCase() === k.toLowerCase()) delete headers[d];
    headers[k] = v === null ? null : expand(v);
  }
  return { method: c.method, path: expand(c.path), headers, body, chunked: c.chunked };
}
