// The FIFO queue of a fund (DESIGN.md "FIFO"): lots at fixed positions over [head, tail),
// taken from the front, appended at the back, returned to the front by reversals. Every
// operation reads and writes through an Overlay, never a record in place.
import { MAX_VALUE } from './types.ts';
import { fundKey, lotKey, type FundRec, type LotRec } from './codec.ts';
import { NeedRecords, type Overlay } from './overlay.ts';
import type { Effect } from '../types.ts';

export interface Take {
  lot: LotRec;
  take: bigint;
}

export function getFund(tx: Overlay, id: string): FundRec | undefined {
  return tx.get<FundRec>(fundKey(id));
}

export function mustFund(tx: Overlay, id: string): FundRec {
  const f = tx.get<FundRec>(fundKey(id));
  if (!f) throw new Error(`ledger state: fund ${id} named by the event index does not exist`);
  return f;
}

/** The lot at `pos` of `fund`, or undefined. When it is not loaded, asks for the live lots
 * from `pos` up to `end` (the queue's front window, one range read) rather than one key. */
export function getLot(tx: Overlay, fund: string, pos: number, end = pos + 1): LotRec | undefined {
  const v = tx.peek(lotKey(fund, pos));
  if (v === undefined) throw new NeedRecords([], [{ fund, from: pos, to: Math.max(end, pos + 1) }]);
  return v === null ? undefined : (v as LotRec);
}

/** The lots `value` takes from the front of `f`, the last one possibly split. Reads only.
 * Costs the lots taken plus the gaps between them. */
export function planTake(tx: Overlay, f: FundRec, value: bigint): Take[] {
  const out: Take[] = [];
  let need = value;
  let pos = f.head;
  while (need > 0n) {
    if (pos >= f.tail) throw new Error(`ledger state: fund ${f.id} balance ${f.balance} exceeds its lots`);
    const lot = getLot(tx, f.id, pos++, f.tail);
    if (!lot) continue;
    const take = lot.value < need ? lot.value : need;
    out.push({ lot, take });
    need -= take;
  }
  return out;
}

export function commitTake(tx: Overlay, fund: string, takes: readonly Take[]): void {
  for (const { lot, take } of takes) {
    if (take === lot.value) {
      removeLot(tx, lot);
    } else {
      const l = tx.edit<LotRec>(lotKey(lot.fund, lot.pos));
      l.value -= take;
      const f = tx.edit<FundRec>(fundKey(fund));
      f.balance -= take;
    }
  }
}

/** Appends a lot at the back of `fund`; returns its position. */
export function append(tx: Overlay, fund: string, donation: string, via: string, value: bigint): number {
  const f = tx.edit<FundRec>(fundKey(fund));
  const pos = f.tail++;
  insert(tx, f, { fund, pos, donation, via, value });
  return pos;
}

/** Puts lots at the front of `fund` in the given order (items[0] ends up first); returns
 * the positions they took, [first, end). */
export function prepend(tx: Overlay, fund: string, items: ReadonlyArray<{ donation: string; value: bigint }>, via: string): [number, number] {
  const f = tx.edit<FundRec>(fundKey(fund));
  const end = f.head;
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i]!;
    insert(tx, f, { fund, pos: --f.head, donation: it.donation, via, value: it.value });
  }
  return [f.head, end];
}

function insert(tx: Overlay, f: FundRec, lot: LotRec): void {
  // Positions outside [head, tail) are free by construction; this is a sanity check on
  // what is loaded, never a reason to read the store.
  if (tx.peek(lotKey(f.id, lot.pos))) throw new Error(`ledger state: position ${lot.pos} of ${f.id} taken`);
  tx.put(lotKey(f.id, lot.pos), lot);
  f.count++;
  f.balance += lot.value;
  if (f.balance > MAX_VALUE) throw new Error(`ledger state: balance of ${f.id} above 2^63-1 after checks`);
}

export function removeLot(tx: Overlay, lot: LotRec): void {
  const key = lotKey(lot.fund, lot.pos);
  const cur = tx.get<LotRec>(key);
  if (!cur || cur.donation !== lot.donation || cur.via !== lot.via) throw new Error(`ledger state: lot ${lot.fund}/${lot.pos} is not in place`);
  const f = tx.edit<FundRec>(fundKey(lot.fund));
  tx.put(key, null);
  f.count--;
  f.balance -= cur.value;
  // Keep head and tail on live lots so walks from the front start at a lot; each position
  // is stepped over at most once, so this stays linear overall.
  while (f.head < f.tail && !getLot(tx, f.id, f.head, f.tail)) f.head++;
  while (f.tail > f.head && !getLot(tx, f.id, f.tail - 1)) f.tail--;
}

export function takesToEffects(takes: readonly Take[]): Effect[] {
  return takes.map((t) => ({ donation: t.lot.donation, via: t.lot.via, value: t.take.toString() }));
}
