// Who may do what, as far as the bundle's own proven entries show it (DESIGN.md "Bodies",
// issue 9): rules the server enforces, re-checked here so that a log operator who appends an
// event the rules forbid (it holds the log key, not the orgs' keys, but an org's own signed
// event can still break a rule) is caught by the donor too.
//
// - A confirmation counts only from the disbursement's payee (when `payee` is a registered
//   org id: the confirming org's id equals it) or from an org with the `auditor` role; and
//   never from the org that posted the disbursement (a charity paying itself and confirming
//   as "the payee", or an auditor confirming its own payment, proves nothing).
// - With the fund.open entries a bundle may carry (one per fund a node names): money moves
//   only by the fund's owner (donation into it, transfer or disbursement out of it), and a
//   restricted fund's money leaves only by disbursement or by transfer to another restricted
//   fund. A transfer between two funds of one owner is marked internal for the reader.
import type { Entry, Envelope } from '@cotc/ledger';
import type { Problem } from './types.ts';

export interface FundInfo {
  owner: string;
  restricted: boolean;
  currency: string;
  seq: number;
}

export interface RoleSource {
  roles(org: string): readonly string[] | undefined;
}

/** The funds opened by the proven entries (the first fund.open of an id counts). */
export function fundsOf(entries: readonly Entry[]): Map<string, FundInfo> {
  const funds = new Map<string, FundInfo>();
  for (const e of entries) {
    if (e.event.type !== 'fund.open') continue;
    const b = (e.event as Envelope<'fund.open'>).body;
    if (!funds.has(b.fund)) funds.set(b.fund, { owner: e.event.org, restricted: b.restricted === true, currency: b.currency, seq: e.seq });
  }
  return funds;
}

/** True for a transfer between two funds the proven fund.open entries give one owner. */
export function isInternalTransfer(ev: Envelope, funds: ReadonlyMap<string, FundInfo>): boolean {
  if (ev.type !== 'transfer') return false;
  const b = (ev as Envelope<'transfer'>).body;
  const from = funds.get(b.from);
  const to = funds.get(b.to);
  return from !== undefined && to !== undefined && from.owner === to.owner;
}

export function checkAuthority(entries: readonly Entry[], byEvent: ReadonlyMap<string, Entry>, roles: RoleSource, funds: ReadonlyMap<string, FundInfo>): Problem[] {
  const out: Problem[] = [];
  const add = (code: Problem['code'], e: Entry, message: string) => out.push({ code, message, index: e.seq, event: e.event.id });
  for (const e of entries) {
    const ev = e.event;
    if (ev.type === 'confirmation') {
      const d = byEvent.get((ev as Envelope<'confirmation'>).body.disbursement);
      if (d === undefined || d.event.type !== 'disbursement' || d.seq >= e.seq) continue; // not a trace confirmation: nothing to judge
      const disb = d.event as Envelope<'disbursement'>;
      if (ev.org === disb.org) {
        add('self_confirmation', e, `${ev.id} is signed by ${ev.org}, which posted the disbursement ${disb.id} itself: a confirmation by the payer proves nothing`);
        continue;
      }
      const r = roles.roles(ev.org);
      if (r === undefined) continue; // its signature is already unknown_key
      if (ev.org !== disb.body.payee && !r.includes('auditor')) {
        add('unauthorised_confirmation', e, `${ev.id} is signed by ${ev.org}, which is neither the payee of ${disb.id} nor an auditor`);
      }
      continue;
    }
    if (ev.type === 'gift.batch') {
      // issue 15: a batch of gifts is posted into a fund by its owner or by a platform org.
      const fundId = (ev as Envelope<'gift.batch'>).body.fund;
      const f = funds.get(fundId);
      const r = roles.roles(ev.org);
      if (f !== undefined && f.seq < e.seq && f.owner !== ev.org && r !== undefined && !r.includes('platform')) {
        add('forbidden', e, `${ev.id} (a gift batch of ${ev.org}) moves money into fund ${fundId}, which ${f.owner} opened: only its owner or a platform org does`);
      }
      continue;
    }
    if (ev.type !== 'donation' && ev.type !== 'transfer' && ev.type !== 'disbursement') continue;
    const fundId = ev.type === 'transfer' ? (ev as Envelope<'transfer'>).body.from : (ev as Envelope<'donation' | 'disbursement'>).body.fund;
    const f = funds.get(fundId);
    if (f !== undefined && f.seq < e.seq && f.owner !== ev.org) {
      add('forbidden', e, `${ev.id} (a ${ev.type} of ${ev.org}) moves money ${ev.type === 'donation' ? 'into' : 'out of'} fund ${fundId}, which ${f.owner} opened: only its owner does`);
    }
    if (ev.type === 'transfer' && f?.restricted) {
      const to = (ev as Envelope<'transfer'>).body.to;
      const g = funds.get(to);
      if (g !== undefined && !g.restricted) {
        add('restricted_fund', e, `${ev.id} moves money from the restricted fund ${fundId} to ${to}, which is not restricted: a restricted fund's money leaves only by disbursement or to another restricted fund`);
      }
    }
  }
  return out;
}
