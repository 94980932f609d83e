// The record codec: the ONLY code that knows the state's record keys and value encodings.
// Everything the state machine keeps is one of these records; a batch's changes are a set
// of (key, value | null) pairs the store writes in the batch's one atomic commit, and
// that the next issue hashes, record by record, into an authenticated map.
//
//   meta                 {"size":n,"operator":"<org>"|null}
//   org/<org>            the org with its full key history
//   fund/<fund>          the fund header: balance, head, tail, count
//   lot/<fund>/<pos>     one lot {"donation","via","value"}; <pos> sorts in queue order
//                        (see encodePos), so a range read from the head gives the front
//                        of the queue, gaps skipped
//   event/<id>           the event's facts, written once
//   rev/<id>             "<reversal id>": the event was reversed (its own record, so
//                        reversing a disbursement of 20k lots does not rewrite them)
//   conf/<disbursement>  [{"event","org","seq"}…]: its confirmations, in seq order
//                        (docs/wire-format-2.md §10)
//   live/<donation>      {"lots":[{"fund","pos","value","via","viaSeq"}…]}: where every part of the
//                        donation is now (docs/wire-format-2.md §10), derived from its lots
//                        at each batch's end (LedgerState.finish), RFC 8785 form
//
// Ids match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$ (DESIGN.md "Event envelope"), so '/' never
// occurs inside one and every key has exactly one reading. Values are JSON with a fixed
// field order and no whitespace: the same record always has the same bytes. Amounts are
// decimal strings, positions and seqs JSON integers.
import type { Role } from '../types.ts';
import type { EventFacts } from './types.ts';
import { bytesToHex, hexToBytes } from './util.ts';
import type { KeyRec, KeyRing } from './keys.ts';

export interface MetaRec {
  size: number;
  operator: string | undefined;
}
export interface OrgRec extends KeyRing {
  id: string;
  name: string;
  roles: Role[];
  registeredSeq: number;
  keys: KeyRec[];
  byKeyId: Map<string, KeyRec>;
}
/** A fund's queue is a map position → lot over [head, tail). Appends take tail++, lots
 * returned to the front take --head, so no lot ever moves and a change rewrites only the
 * lots an event touches. Gaps (lots removed from the middle by a refund or a transfer
 * reversal) are skipped. */
export interface FundRec {
  id: string;
  owner: string;
  name: string;
  currency: string;
  restricted: boolean;
  purpose: string;
  openedSeq: number;
  balance: bigint;
  head: number;
  tail: number;
  count: number;
}
/** One lot: an amount of one donation that arrived in `fund` by the hop `via`. */
export interface LotRec {
  fund: string;
  pos: number;
  donation: string;
  via: string;
  value: bigint;
}
/** One live part of a donation (live/<donation>, docs/wire-format-2.md §10). */
export interface LiveLot {
  fund: string;
  pos: number;
  value: string;
  via: string;
  /** the seq of the entry `via` */
  viaSeq: number;
}
/** One confirmation of a disbursement (conf/<disbursement>). */
export interface ConfRec {
  event: string;
  org: string;
  seq: number;
}
export interface LiveRec {
  lots: LiveLot[];
}
/** Facts as stored: reversedBy lives in rev/<id>. */
export type FactsRec = EventFacts;

/** The kinds of record, in the order a batch's changes are listed. */
export const RECORD_KINDS = ['meta', 'org', 'fund', 'lot', 'live', 'event', 'rev', 'conf'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface RecordTypes {
  meta: MetaRec;
  org: OrgRec;
  fund: FundRec;
  lot: LotRec;
  live: LiveRec;
  event: FactsRec;
  rev: string;
  conf: ConfRec[];
}

export const META_KEY = 'meta';
export const orgKey = (id: string) => `org/${id}`;
export const fundKey = (id: string) => `fund/${id}`;
export const eventKey = (id: string) => `event/${id}`;
export const revKey = (id: string) => `rev/${id}`;
export const confKey = (id: string) => `conf/${id}`;
export const liveKey = (donation: string) => `live/${donation}`;
export const lotKey = (fund: string, pos: number) => `lot/${fund}/${encodePos(pos)}`;
/** The key prefix of a fund's lots (a range read under it is the queue in order). */
export const lotPrefix = (fund: string) => `lot/${fund}/`;

const POS_DIGITS = 15;
const POS_BIAS = 10 ** POS_DIGITS;
/** A queue position as text that sorts like the number: "p" + 15 digits for p ≥ 0, "n" +
 * 15 digits of 10^15 + p for p < 0 ("n" < "p"). |p| < 10^15. */
export function encodePos(p: number): string {
  if (!Number.isSafeInteger(p) || p <= -POS_BIAS || p >= POS_BIAS) throw new Error(`ledger codec: position ${p} out of range`);
  return p >= 0 ? 'p' + String(p).padStart(POS_DIGITS, '0') : 'n' + String(POS_BIAS + p).padStart(POS_DIGITS, '0');
}
export function decodePos(s: string): number | null {
  if (!/^[np][0-9]{15}$/.test(s)) return null;
  const n = Number(s.slice(1));
  return s[0] === 'p' ? n : n - POS_BIAS;
}

/** The kind and id part of a key, or null for a key this codec never writes. */
export function parseKey(key: string): { kind: RecordKind; id: string; pos?: number } | null {
  if (key === META_KEY) return { kind: 'meta', id: '' };
  const slash = key.indexOf('/');
  if (slash < 0) return null;
  const kind = key.slice(0, slash);
  const rest = key.slice(slash + 1);
  if (rest === '') return null;
  switch (kind) {
    case 'org':
    case 'fund':
    case 'event':
    case 'rev':
    case 'conf':
    case 'live':
      return rest.includes('/') ? null : { kind, id: rest };
    case 'lot': {
      const j = rest.indexOf('/');
      if (j <= 0) return null;
      const pos = decodePos(rest.slice(j + 1));
      return pos === null ? null : { kind: 'lot', id: rest.slice(0, j), pos };
    }
    default:
      return null;
  }
}

export function encodeRecord(key: string, v: unknown): string {
  const k = parseKey(key);
  if (!k) throw new Error(`ledger codec: no record ${key}`);
  switch (k.kind) {
    case 'meta': {
      const m = v as MetaRec;
      return JSON.stringify({ size: m.size, operator: m.operator ?? null });
    }
    case 'org': {
      const o = v as OrgRec;
      return JSON.stringify({
        name: o.name,
        roles: o.roles,
        registeredSeq: o.registeredSeq,
        keys: o.keys.map((x) => {
          const r: Record<string, unknown> = { key: x.key, addedSeq: x.addedSeq };
          if (x.revokedSeq !== undefined) r.revokedSeq = x.revokedSeq;
          if (x.addedBy !== undefined) r.addedBy = x.addedBy;
          r.keyId = x.keyId;
          r.publicKey = bytesToHex(x.publicKey);
          return r;
        }),
      });
    }
    case 'fund': {
      const f = v as FundRec;
      return JSON.stringify({
        owner: f.owner,
        name: f.name,
        currency: f.currency,
        restricted: f.restricted,
        purpose: f.purpose,
        openedSeq: f.openedSeq,
        balance: f.balance.toString(),
        head: f.head,
        tail: f.tail,
        count: f.count,
      });
    }
    case 'lot': {
      const l = v as LotRec;
      return JSON.stringify({ donation: l.donation, via: l.via, value: l.value.toString() });
    }
    case 'event':
      return JSON.stringify(v);
    case 'rev':
      return JSON.stringify(v as string);
    case 'conf':
      return JSON.stringify((v as ConfRec[]).map((c) => ({ event: c.event, org: c.org, seq: c.seq })));
    case 'live': {
      // RFC 8785 order: keys sorted; lots sorted by (fund, pos) (liveLotOrder).
      const l = v as LiveRec;
      return JSON.stringify({ lots: l.lots.map((x) => ({ fund: x.fund, pos: x.pos, value: x.value, via: x.via, viaSeq: x.viaSeq })) });
    }
  }
}

/** Decodes a stored record. Throws on a record that does not parse as its kind: a corrupt
 * store is not bad input. */
export function decodeRecord(key: string, s: string): unknown {
  const k = parseKey(key);
  if (!k) throw new Error(`ledger codec: unknown record ${key}`);
  const v = JSON.parse(s);
  switch (k.kind) {
    case 'meta':
      return { size: v.size, operator: v.operator ?? undefined } satisfies MetaRec;
    case 'org': {
      const rec: OrgRec = { id: k.id, name: v.name, roles: v.roles, registeredSeq: v.registeredSeq, keys: [], byKeyId: new Map() };
      for (const x of v.keys) {
        const kr: KeyRec = { key: x.key, keyId: x.keyId, publicKey: hexToBytes(x.publicKey), addedSeq: x.addedSeq };
        if (x.revokedSeq !== undefined) kr.revokedSeq = x.revokedSeq;
        if (x.addedBy !== undefined) kr.addedBy = x.addedBy;
        rec.keys.push(kr);
        rec.byKeyId.set(kr.keyId, kr);
      }
      return rec;
    }
    case 'fund':
      return {
        id: k.id,
        owner: v.owner,
        name: v.name,
        currency: v.currency,
        restricted: v.restricted,
        purpose: v.purpose,
        openedSeq: v.openedSeq,
        balance: BigInt(v.balance),
        head: v.head,
        tail: v.tail,
        count: v.count,
      } satisfies FundRec;
    case 'lot':
      return { fund: k.id, pos: k.pos!, donation: v.donation, via: v.via, value: BigInt(v.value) } satisfies LotRec;
    case 'event':
    case 'rev':
    case 'conf':
    case 'live':
      return v;
  }
}

/** A copy of a decoded record that can be changed without touching the original. */
export function cloneRecord<T>(key: string, v: T): T {
  const k = parseKey(key)!;
  if (k.kind === 'org') {
    const o = v as unknown as OrgRec;
    const keys = o.keys.map((x) => ({ ...x }));
    return { ...o, roles: [...o.roles], keys, byKeyId: new Map(keys.map((x) => [x.keyId, x])) } as unknown as T;
  }
  if (k.kind === 'conf') return (v as unknown as ConfRec[]).map((c) => ({ ...c })) as unknown as T;
  if (k.kind === 'live') return { lots: (v as unknown as LiveRec).lots.map((x) => ({ ...x })) } as unknown as T;
  if (typeof v === 'object' && v !== null) return { ...v };
  return v;
}

/** Rank of a key's kind in a batch's change list. */
export function kindRank(key: string): number {
  const k = parseKey(key);
  return k ? RECORD_KINDS.indexOf(k.kind) : RECORD_KINDS.length;
}

/** The order of a live record's lots: by fund id (UTF-16 code units, as RFC 8785 sorts),
 * then by queue position. */
export function liveLotOrder(a: { fund: string; pos: number }, b: { fund: string; pos: number }): number {
  return a.fund < b.fund ? -1 : a.fund > b.fund ? 1 : a.pos - b.pos;
}
