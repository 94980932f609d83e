// The trace graph of DESIGN.md "Trace bundle": the flow of one donation's money, read
// straight off the entries' effects, and the conservation rules a verifier checks on it.
// Pure and browser-safe; the server builds the graph, verifiers rebuild and check it.

import type { Effect, Envelope, Flow, Trace, TraceNode, TraceNodeType } from './types.ts';

export interface TraceEntry {
  seq: number;
  event: Envelope;
  effects: Effect[];
}

/**
 * Builds the trace of `donationId` from `entries` (any superset of the trace's entries,
 * e.g. the bundle's or the whole log; order does not matter). Throws when the donation, or
 * the target of a reversal in the graph, is missing: the entries do not describe a log.
 */
export function buildTrace(donationId: string, entries: ReadonlyArray<TraceEntry>): Trace {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const byId = new Map<string, TraceEntry>();
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (i > 0 && sorted[i - 1]!.seq === e.seq) throw new Error(`trace: two entries at seq ${e.seq}`);
    byId.set(e.event.id, e);
  }
  const don = byId.get(donationId);
  // A gift batch (issue 15) is one lot like a donation: its trace has the same shape, rooted at the batch.
  if (!don || (don.event.type !== 'donation' && don.event.type !== 'gift.batch')) throw new Error(`trace: donation ${donationId} is not among the entries`);
  const donBody = (don.event as Envelope<'donation' | 'gift.batch'>).body;

  // Nodes: the donation, every entry whose effects name it, every confirmation of a
  // disbursement among those; in index order (a confirmation follows its disbursement).
  const included: TraceEntry[] = [];
  const disbursements = new Set<string>();
  for (const e of sorted) {
    const ev = e.event;
    const names = e.effects.some((x) => x.donation === donationId);
    const confirms = ev.type === 'confirmation' && disbursements.has((ev as Envelope<'confirmation'>).body.disbursement);
    if (ev.id !== donationId && !names && !confirms) continue;
    if (e.seq < don.seq) throw new Error(`trace: entry ${ev.id} at seq ${e.seq} moves ${donationId} before it exists`);
    included.push(e);
    if (ev.type === 'disbursement') disbursements.add(ev.id);
  }

  // Flows: one per (via A, entry B), summing B's lots of this donation that came via A, in
  // order of B, then of A's first appearance in B's effects.
  const flows: Flow[] = [];
  const inflow = new Map<string, bigint>();
  const outflow = new Map<string, bigint>();
  for (const b of included) {
    const perVia = new Map<string, bigint>();
    for (const x of b.effects) {
      if (x.donation !== donationId) continue;
      perVia.set(x.via, (perVia.get(x.via) ?? 0n) + BigInt(x.value));
    }
    for (const [via, v] of perVia) {
      flows.push({ from: via, to: b.event.id, value: v.toString() });
      outflow.set(via, (outflow.get(via) ?? 0n) + v);
      inflow.set(b.event.id, (inflow.get(b.event.id) ?? 0n) + v);
    }
  }

  const nodes: TraceNode[] = included.map((e) => {
    const ev = e.event;
    const node: TraceNode = { event: ev.id, type: ev.type as TraceNodeType, index: e.seq };
    let fund: string | undefined;
    let into: bigint;
    if (ev.id === donationId) {
      fund = donBody.fund;
      into = BigInt(donBody.amount.value);
    } else {
      into = inflow.get(ev.id) ?? 0n;
      if (ev.type === 'transfer') {
        fund = (ev as Envelope<'transfer'>).body.to;
      } else if (ev.type === 'reversal') {
        const targetId = (ev as Envelope<'reversal'>).body.event;
        const target = byId.get(targetId);
        if (!target) throw new Error(`trace: the target ${targetId} of reversal ${ev.id} is not among the entries`);
        // A refund (reversal of a donation) takes money out: no fund. The reversal of a
        // disbursement or transfer puts it back into the source fund.
        // (A refund of a gift batch likewise.)
        if (target.event.type === 'disbursement') fund = (target.event as Envelope<'disbursement'>).body.fund;
        else if (target.event.type === 'transfer') fund = (target.event as Envelope<'transfer'>).body.from;
      }
    }
    if (fund !== undefined) {
      node.fund = fund;
      node.unspent = (into - (outflow.get(ev.id) ?? 0n)).toString();
    }
    return node;
  });

  return { donation: donationId, currency: donBody.amount.currency, nodes, flows };
}

const NODE_TYPES = new Set<string>(['donation', 'gift.batch', 'transfer', 'disbursement', 'reversal', 'confirmation']);

/**
 * Lists the ways `trace` breaks DESIGN.md's conservation rules (empty = none). `amount` is
 * the donation's value as the verifier read it from the donation's entry; without it the
 * donation's own balance cannot be checked, and that check is skipped.
 */
export function checkConservation(trace: Trace, amount?: string | bigint): string[] {
  const out: string[] = [];
  const int = (s: unknown, what: string, positive: boolean): bigint | null => {
    if (typeof s !== 'string' || !(positive ? /^[1-9][0-9]*$/ : /^(?:0|[1-9][0-9]*)$/).test(s)) {
      out.push(`${what}: ${JSON.stringify(s)} is not a ${positive ? 'positive' : 'non-negative'} integer`);
      return null;
    }
    return BigInt(s);
  };

  const byId = new Map<string, TraceNode>();
  let lastIndex = -1;
  for (const n of trace.nodes) {
    if (byId.has(n.event)) out.push(`node ${n.event} appears twice`);
    byId.set(n.event, n);
    if (!NODE_TYPES.has(n.type)) out.push(`node ${n.event} has unknown type ${JSON.stringify(n.type)}`);
    if (!(n.index > lastIndex)) out.push(`node ${n.event} is out of index order`);
    lastIndex = n.index;
  }
  const first = trace.nodes[0];
  const isRoot = (t: string) => t === 'donation' || t === 'gift.batch';
  if (!first || first.event !== trace.donation || !isRoot(first.type)) {
    out.push(`the first node is not the donation ${trace.donation}`);
  }

  const inflow = new Map<string, bigint>();
  const outflow = new Map<string, bigint>();
  const outTargets = new Map<string, string[]>();
  const seenPairs = new Set<string>();
  for (const f of trace.flows) {
    const v = int(f.value, `flow ${f.from} → ${f.to}`, true);
    const a = byId.get(f.from);
    const b = byId.get(f.to);
    if (!a) out.push(`flow ${f.from} → ${f.to} starts at no node`);
    if (!b) out.push(`flow ${f.from} → ${f.to} ends at no node`);
    if (a && b && !(a.index < b.index)) out.push(`flow ${f.from} → ${f.to} goes back in time`);
    const pair = JSON.stringify([f.from, f.to]);
    if (seenPairs.has(pair)) out.push(`flow ${f.from} → ${f.to} appears twice`);
    seenPairs.add(pair);
    if (v === null) continue;
    outflow.set(f.from, (outflow.get(f.from) ?? 0n) + v);
    inflow.set(f.to, (inflow.get(f.to) ?? 0n) + v);
    const ts = outTargets.get(f.from) ?? [];
    ts.push(f.to);
    outTargets.set(f.from, ts);
  }

  for (const n of trace.nodes) {
    const ins = inflow.get(n.event) ?? 0n;
    const outs = outflow.get(n.event) ?? 0n;
    const holds = isRoot(n.type) || n.type === 'transfer' || (n.type === 'reversal' && n.fund !== undefined);
    if (holds) {
      if (n.fund === undefined) out.push(`${n.type} node ${n.event} holds money but names no fund`);
      const unspent = int(n.unspent, `unspent of ${n.event}`, false);
      if (unspent === null) continue;
      if (isRoot(n.type)) {
        if (n !== first) out.push(`${n.type} ${n.event} is not the trace's root`);
        if (ins !== 0n) out.push(`donation ${n.event} has flows in`);
        if (amount !== undefined && BigInt(amount) !== outs + unspent) {
          out.push(`donation ${n.event}: amount ${amount} ≠ flows out ${outs} + unspent ${unspent}`);
        }
      } else if (ins !== outs + unspent) {
        out.push(`${n.type} ${n.event}: flows in ${ins} ≠ flows out ${outs} + unspent ${unspent}`);
      }
    } else {
      if (n.fund !== undefined || n.unspent !== undefined) out.push(`${n.type} node ${n.event} holds no money but has fund/unspent`);
      if (n.type === 'disbursement') {
        if (outs > ins) out.push(`disbursement ${n.event}: flows out ${outs} exceed flows in ${ins}`);
        for (const t of outTargets.get(n.event) ?? []) {
          if (byId.get(t)?.type !== 'reversal') out.push(`disbursement ${n.event} flows to ${t}, which is not a reversal`);
        }
      } else if (n.type === 'reversal') {
        // A refund: money leaves the ledger.
        if (outs !== 0n) out.push(`refund ${n.event} has flows out`);
        if (ins === 0n) out.push(`refund ${n.event} has no flows in`);
      } else if (n.type === 'confirmation') {
        if (ins !== 0n || outs !== 0n) out.push(`confirmation ${n.event} has flows`);
      }
    }
  }
  return out;
}
