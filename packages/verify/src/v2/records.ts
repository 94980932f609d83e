// The state records a v2 bundle or proven read carries (docs/wire-format-2.md §10), parsed
// from their proven value strings. A value is what the map proves; a value that is not the
// record's shape is the server's malformed statement (a problem, never a throw). Values are
// RFC 8785 canonical JSON (§10): a non-canonical one is refused as well, so that one record
// has one spelling everywhere.
import { canonicalize, isPlainObject, type ConfRec, type LiveLot } from '@cotc/ledger';

export interface OrgKeyRecord {
  addedSeq: number;
  key: string;
  revokedSeq?: number;
  /** Who posted the change that added it, when the record says (an operator-installed key). */
  addedBy?: string;
}
export interface OrgRecord {
  name: string;
  roles: string[];
  registeredSeq: number;
  keys: number;
}
export interface FundRecord {
  owner: string;
  name: string;
  currency: string;
  restricted: boolean;
  purpose: string;
  openedSeq: number;
  balance: string;
}
/** The ledger's own record shapes (packages/ledger/src/state/codec.ts), one definition for
 * the server that writes them and the verifier that parses them. */
export type { LiveLot } from '@cotc/ledger';
export type ConfRecord = ConfRec;

const seqOk = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const str = (x: unknown): x is string => typeof x === 'string' && x !== '';
const VALUE = /^[1-9][0-9]{0,18}$/;

/** JSON.parse of a proven value, which must be RFC 8785 canonical; null when it is not. */
export function parseValue(v: string): unknown {
  let x: unknown;
  try {
    x = JSON.parse(v);
    if (canonicalize(x) !== v) return null;
  } catch {
    return null;
  }
  return x;
}

export function parseOrgKey(v: string): OrgKeyRecord | null {
  const x = parseValue(v);
  if (!isPlainObject(x) || !seqOk(x.addedSeq) || !str(x.key)) return null;
  if (x.revokedSeq !== undefined && !seqOk(x.revokedSeq)) return null;
  if (x.addedBy !== undefined && !str(x.addedBy)) return null;
  const r: OrgKeyRecord = { addedSeq: x.addedSeq, key: x.key };
  if (x.revokedSeq !== undefined) r.revokedSeq = x.revokedSeq as number;
  if (x.addedBy !== undefined) r.addedBy = x.addedBy as string;
  return r;
}

export function parseOrg(v: string): OrgRecord | null {
  const x = parseValue(v);
  if (!isPlainObject(x) || typeof x.name !== 'string' || !Array.isArray(x.roles) || !x.roles.every((r) => typeof r === 'string') || !seqOk(x.registeredSeq) || !seqOk(x.keys)) return null;
  return { name: x.name, roles: [...(x.roles as string[])], registeredSeq: x.registeredSeq, keys: x.keys };
}

export function parseFund(v: string): FundRecord | null {
  const x = parseValue(v);
  if (!isPlainObject(x) || !str(x.owner) || typeof x.name !== 'string' || !str(x.currency) || typeof x.restricted !== 'boolean' || typeof x.purpose !== 'string' || !seqOk(x.openedSeq)) return null;
  if (typeof x.balance !== 'string' || !(x.balance === '0' || VALUE.test(x.balance))) return null;
  return { owner: x.owner, name: x.name, currency: x.currency, restricted: x.restricted, purpose: x.purpose, openedSeq: x.openedSeq, balance: x.balance };
}

/** live/<donation>: null value (absent) is a donation with no live lot. */
export function parseLive(v: string | null): LiveLot[] | null {
  if (v === null) return [];
  const x = parseValue(v);
  if (!isPlainObject(x) || Object.keys(x).length !== 1 || !Array.isArray(x.lots)) return null;
  const out: LiveLot[] = [];
  for (const l of x.lots) {
    if (!isPlainObject(l) || !str(l.fund) || !Number.isSafeInteger(l.pos) || typeof l.value !== 'string' || !VALUE.test(l.value) || !str(l.via) || !seqOk(l.viaSeq)) return null;
    out.push({ fund: l.fund, pos: l.pos as number, value: l.value, via: l.via, viaSeq: l.viaSeq });
  }
  // §10: sorted by (fund, pos), each position once.
  for (let i = 1; i < out.length; i++) {
    const a = out[i - 1]!;
    const b = out[i]!;
    if (a.fund > b.fund || (a.fund === b.fund && a.pos >= b.pos)) return null;
  }
  return out;
}

/** conf/<disbursement>: null value (absent) is a disbursement nobody confirmed. */
export function parseConf(v: string | null): ConfRecord[] | null {
  if (v === null) return [];
  const x = parseValue(v);
  if (!Array.isArray(x)) return null;
  const out: ConfRecord[] = [];
  for (const c of x) {
    if (!isPlainObject(c) || !str(c.event) || !str(c.org) || !seqOk(c.seq)) return null;
    out.push({ event: c.event, org: c.org, seq: c.seq });
  }
  for (let i = 1; i < out.length; i++) if (out[i - 1]!.seq >= out[i]!.seq) return null;
  return out;
}

export const liveKey = (donation: string) => `live/${donation}`;
export const confKeyOf = (disbursement: string) => `conf/${disbursement}`;
export const orgKeyKey = (org: string, keyId: string) => `orgkey/${org}/${keyId}`;
export const orgRecKey = (org: string) => `org/${org}`;
export const fundRecKey = (fund: string) => `fund/${fund}`;
