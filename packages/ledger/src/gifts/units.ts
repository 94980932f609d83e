// Which of a batch's units every hop moved (docs/gifts.md "Units"), read off the entries'
// effects alone, so the server, the verifier and the auditor agree. FIFO takes lots from the
// front of a fund and a split lot keeps its back part; lots are never merged, and all lots
// that arrived by one hop sit in one fund in the order they arrived (a reversal's return is
// a new hop, prepended). So the units that arrived by hop A form a queue, and an effect
// {donation: batch, via: A, value: v} of entry B moves the first v units of A's queue to the
// back of B's. The batch's own queue starts as [0, T).
import type { Effect } from '../types.ts';
import type { UnitRange } from './share.ts';

export interface UnitEntry {
  seq: number;
  event: { id: string };
  effects: readonly Effect[];
}
export interface BatchUnits {
  /** per flow "A→B" (A the via, B the entry's event), the unit ranges it moved, in order */
  flows: Map<string, UnitRange[]>;
  /** per hop, the unit ranges still there (the trace's `unspent`, in units) */
  held: Map<string, UnitRange[]>;
}

export const flowKey = (from: string, to: string): string => `${from}\u0000${to}`;

/**
 * Replays the batch's effects (entries in any order; those not naming the batch are
 * skipped). Returns a string naming the first inconsistency when the effects take units a
 * hop does not hold (a hostile bundle); a log the state machine accepted never does.
 */
export function batchUnits(batchId: string, total: bigint, entries: readonly UnitEntry[]): BatchUnits | string {
  const held = new Map<string, UnitRange[]>([[batchId, [[0n, total]]]]);
  const flows = new Map<string, UnitRange[]>();
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  for (const e of sorted) {
    for (const x of e.effects) {
      if (x.donation !== batchId) continue;
      let v = BigInt(x.value);
      const q = held.get(x.via);
      if (!q) return `entry ${e.seq} takes ${batchId} via ${x.via}, which holds none of it`;
      const into = held.get(e.event.id) ?? [];
      held.set(e.event.id, into);
      const k = flowKey(x.via, e.event.id);
      const moved = flows.get(k) ?? [];
      flows.set(k, moved);
      while (v > 0n) {
        const r = q.shift();
        if (!r) return `entry ${e.seq} takes ${x.value} of ${batchId} via ${x.via}, more than it holds`;
        const [a, b] = r;
        const take = b - a <= v ? b - a : v;
        if (take < b - a) q.unshift([a + take, b]);
        push(into, [a, a + take]);
        push(moved, [a, a + take]);
        v -= take;
      }
    }
  }
  return { flows, held };
}

// Adjacent ranges merge, so a flow that took a whole lot in pieces stays one range.
function push(q: UnitRange[], r: UnitRange): void {
  const last = q[q.length - 1];
  if (last && last[1] === r[0]) q[q.length - 1] = [last[0], r[1]];
  else q.push(r);
}
