// Test helpers for the ledger state machine (DESIGN.md "The events", "FIFO"): envelopes
// with a dummy signature of the right shape (key id || 64 zero bytes) and a harness that
// applies them with a stub verifier. Not a suite (no .test.ts suffix).
import { createHash } from 'node:crypto';
import { LedgerState, type Judgement, type LedgerStateOptions } from '../../packages/ledger/src/state.ts';
import type { BodyByType, Effect, Envelope, EventType } from '../../packages/ledger/src/types.ts';

export function sha256hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A verifier key string for `name`, its public key derived from (name, n). */
export function keyFor(name: string, n = 0): string {
  const pub = createHash('sha256').update(`pub:${name}:${n}`).digest();
  return keyFromPub(name, new Uint8Array(pub));
}

export function keyFromPub(name: string, pub: Uint8Array): string {
  const raw = Buffer.concat([Buffer.from([1]), Buffer.from(pub)]);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), raw])).digest().subarray(0, 4);
  return `${name}+${id.toString('hex')}+${raw.toString('base64')}`;
}

export function keyIdOf(key: string): string {
  return key.split('+')[1]!;
}

/** base64(key id || 64 zero bytes): the shape of a real sig; the stub verifier accepts it. */
export function dummySig(key: string, fill = 0): string {
  return Buffer.concat([Buffer.from(keyIdOf(key), 'hex'), Buffer.alloc(64, fill)]).toString('base64');
}

export function ev<T extends EventType>(type: T, id: string, org: string, body: BodyByType[T], key: string = keyFor(org)): Envelope<T> {
  return { v: 1, type, id, org, time: '2021-01-01T00:00:00Z', body, sig: dummySig(key) } as unknown as Envelope<T>;
}

export function contentHash(e: Envelope): string {
  return sha256hex(JSON.stringify(e));
}

export const amt = (value: string | number | bigint, currency = 'CNY') => ({ currency, value: String(value) });
export const DONOR = 'a'.repeat(64);

export interface Accepted {
  seq: number;
  event: Envelope;
  effects: Effect[];
  donations: string[];
}

/** Applies events one after another, remembering the accepted ones as log entries. */
export class Harness {
  state: LedgerState;
  entries: Accepted[] = [];
  verify: (pub: Uint8Array, key: string) => boolean = () => true;
  constructor(opts: LedgerStateOptions = {}) {
    this.state = new LedgerState(opts);
  }
  ctx(e: Envelope) {
    return { seq: this.state.size, contentHash: contentHash(e), verify: this.verify };
  }
  judge(e: Envelope): Judgement {
    return this.state.judge(e, this.ctx(e));
  }
  post(e: Envelope): Judgement {
    const seq = this.state.size;
    const r = this.state.apply(e, this.ctx(e));
    if (r.ok && !('duplicate' in r)) this.entries.push({ seq, event: e, effects: r.effects, donations: r.donations });
    return r;
  }
  /** Posts and insists on acceptance; returns the effects. */
  ok(e: Envelope): Effect[] {
    const r = this.post(e);
    if (!r.ok) throw new Error(`expected ${e.id} accepted, got ${r.code}: ${r.message}`);
    if ('duplicate' in r) throw new Error(`expected ${e.id} new, got duplicate`);
    return r.effects;
  }
  /** Posts and returns the rejection code (or 'ok' / 'duplicate'). */
  code(e: Envelope): string {
    const r = this.post(e);
    return r.ok ? ('duplicate' in r ? 'duplicate' : 'ok') : r.code;
  }
}

/** A ledger with the operator, an auditor, charities A and B, a payee org P, and CNY funds
 * fa (A), fa2 (A), fb (B), a USD fund fu (A). */
export function world(opts: LedgerStateOptions = {}): Harness {
  const h = new Harness(opts);
  h.ok(ev('org.register', 'op-reg', 'operator', { org: 'operator', name: 'Operator', roles: ['operator'], keys: [keyFor('operator')] }));
  const reg = (org: string, roles: BodyByType['org.register']['roles']) =>
    h.ok(ev('org.register', `reg-${org}`, 'operator', { org, name: org, roles, keys: [keyFor(org)] }, keyFor('operator')));
  reg('A', ['charity']);
  reg('B', ['charity']);
  reg('P', ['payee']);
  reg('AUD', ['auditor']);
  const fund = (org: string, fund: string, currency = 'CNY') =>
    h.ok(ev('fund.open', `open-${fund}`, org, { fund, name: fund, currency, restricted: false, purpose: 'p' }));
  fund('A', 'fa');
  fund('A', 'fa2');
  fund('B', 'fb');
  fund('A', 'fu', 'USD');
  return h;
}

export const don = (id: string, fund: string, value: string | number, org = 'A') =>
  ev('donation', id, org, { fund, amount: amt(value), donor: DONOR, channel: 'web' });
export const xfer = (id: string, from: string, to: string, value: string | number, org = 'A') =>
  ev('transfer', id, org, { from, to, amount: amt(value), memo: 'm' });
export const disb = (id: string, fund: string, value: string | number, org = 'A', payee = 'P') =>
  ev('disbursement', id, org, { fund, amount: amt(value), payee, purpose: 'filters', receipts: [] });
export const conf = (id: string, disbursement: string, org = 'P') =>
  ev('confirmation', id, org, { disbursement, statement: 'delivered', evidence: [] });
export const rev = (id: string, event: string, org = 'A') => ev('reversal', id, org, { event, reason: 'r' });
export const fx = (donation: string, via: string, value: string | number): Effect => ({ donation, via, value: String(value) });
