// What the page says about a trace besides the verifier's verdict, read from the bundle's
// proven entries and the verifier's result (issue 9):
//  - the names of the organisations (their org.register) and the funds' purposes and
//    whether they are restricted (their fund.open): "restricted to: <purpose>";
//  - the events signed with a key the log operator installed for the org
//    (NodeResult.signer.installedBy, VerifyResult.operatorSigned);
//  - moves between one org's own funds (NodeResult.internal), and long chains of them
//    collapsed into one step, so bouncing money 10,000 times between its own funds cannot
//    bury a payment in the picture.
// Pure (no DOM): tested in Node.
import { fromBase64 } from '@cotc/tlog';
import type { FlowResult, NodeResult, VerifyResult } from '@cotc/verify';

export interface FundFacts {
  name: string;
  purpose: string;
  restricted: boolean;
  owner: string;
}

export interface BundleFacts {
  /** org id → registered name */
  orgs: Map<string, string>;
  funds: Map<string, FundFacts>;
}

interface RawEntry {
  index?: unknown;
  data?: unknown;
}

const dec = new TextDecoder('utf-8', { fatal: true });

/**
 * Org names and fund facts from the bundle's entries that the verifier proved: only when
 * the checkpoint verified, and only entries no problem names. The entries of the trace's
 * own nodes are skipped (they are neither registrations nor fund.open), so a 10,000-entry
 * bundle costs a handful of decodes.
 */
export function bundleFacts(bundle: unknown, result: VerifyResult): BundleFacts {
  const facts: BundleFacts = { orgs: new Map(), funds: new Map() };
  if (!result.checkpoint) return facts;
  if (result.proven) {
    // Wire format 2: names from the proven org/ and fund/ records (the verifier kept only
    // those whose map proofs verified); no registration entries travel in the bundle.
    for (const [id, o] of Object.entries(result.proven.orgs)) facts.orgs.set(id, o.name);
    for (const [id, f] of Object.entries(result.proven.funds)) facts.funds.set(id, { name: f.name, purpose: f.purpose, restricted: f.restricted, owner: f.owner });
    return facts;
  }
  const entries = (bundle as { entries?: unknown })?.entries;
  if (!Array.isArray(entries)) return facts;
  const bad = new Set<number>();
  for (const p of result.problems) if (p.index !== undefined) bad.add(p.index);
  const nodeIndexes = new Set(result.nodes.map((n) => n.index));
  for (const e of entries as RawEntry[]) {
    if (!e || typeof e.index !== 'number' || typeof e.data !== 'string' || bad.has(e.index) || nodeIndexes.has(e.index)) continue;
    let entry: { event?: { type?: unknown; org?: unknown; body?: Record<string, unknown> } };
    try {
      entry = JSON.parse(dec.decode(fromBase64(e.data)));
    } catch {
      continue;
    }
    const ev = entry?.event;
    const b = ev?.body;
    if (!ev || !b || typeof ev.org !== 'string') continue;
    if (ev.type === 'org.register' && typeof b.org === 'string' && typeof b.name === 'string' && !facts.orgs.has(b.org)) facts.orgs.set(b.org, b.name);
    if (ev.type === 'fund.open' && typeof b.fund === 'string' && !facts.funds.has(b.fund)) {
      facts.funds.set(b.fund, { name: String(b.name ?? ''), purpose: String(b.purpose ?? ''), restricted: b.restricted === true, owner: ev.org });
    }
  }
  return facts;
}

/** A chain of moves between one org's own funds, drawn as one step. */
export interface MoveChain {
  org: string;
  /** the moves, in log order */
  events: NodeResult[];
}

/** A node as the page draws it: a NodeResult, or a chain of moves standing for several. */
export type PageNode = NodeResult & { moves?: MoveChain };

/** Chains of at least this many moves between one org's own funds are collapsed. */
export const COLLAPSE_MIN = 3;

const big = (v: string | undefined): bigint | null => (v !== undefined && /^[0-9]{1,30}$/.test(v) ? BigInt(v) : null);

/**
 * The result with each chain of verified moves between one org's own funds (transfers the
 * verifier marks internal, signed by that org, linked by flows) of at least `min` moves
 * replaced by one node: money in = the flows into the chain from outside, money out = the
 * flows from it to outside, unspent = what is still in any of its funds. Nothing else
 * changes; a chain with any problem is drawn move by move (a failure is never hidden), and
 * so is a move signed with an operator-installed key.
 */
export function collapseMoves(result: VerifyResult, min = COLLAPSE_MIN): VerifyResult & { nodes: PageNode[] } {
  // A move signed with a key the operator installed is never folded away: it is said on its own.
  const movable = (n: NodeResult | undefined) => !!n && n.type === 'transfer' && n.internal === true && n.ok && n.signer !== undefined && n.signer.installedBy !== 'operator';
  const byId = new Map(result.nodes.map((n) => [n.event, n]));
  const okFlows = result.flows.filter((f) => f.ok);
  // Union-find over flows between two movable nodes of one org.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    let y = x;
    while (parent.get(y) !== r) {
      const next = parent.get(y)!;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  for (const n of result.nodes) if (movable(n)) parent.set(n.event, n.event);
  for (const f of okFlows) {
    const a = byId.get(f.from);
    const b = byId.get(f.to);
    if (movable(a) && movable(b) && a!.signer!.org === b!.signer!.org) {
      const ra = find(a!.event);
      const rb = find(b!.event);
      if (ra !== rb) parent.set(ra, rb);
    }
  }
  const groups = new Map<string, NodeResult[]>();
  for (const id of parent.keys()) {
    const r = find(id);
    const g = groups.get(r) ?? [];
    g.push(byId.get(id)!);
    groups.set(r, g);
  }
  // Flows touching a chain must all be sound for it to be collapsed.
  const touching = new Map<string, FlowResult[]>();
  for (const f of result.flows) {
    for (const end of [f.from, f.to]) {
      if (!parent.has(end)) continue;
      const r = find(end);
      const l = touching.get(r) ?? [];
      l.push(f);
      touching.set(r, l);
    }
  }
  const chainOf = new Map<string, PageNode>();
  for (const [r, members] of groups) {
    if (members.length < min || (touching.get(r) ?? []).some((f) => !f.ok)) continue;
    members.sort((a, b) => a.index - b.index);
    const first = members[0]!;
    const last = members[members.length - 1]!;
    let unspent = 0n;
    const holding = new Set<string>();
    for (const m of members) {
      const u = big(m.unspent);
      if (u !== null && u > 0n) {
        unspent += u;
        holding.add(m.fund ?? '');
      }
    }
    const inside = new Set(members.map((m) => m.event));
    let amount = 0n;
    for (const f of result.flows) if (inside.has(f.to) && !inside.has(f.from)) amount += big(f.value) ?? 0n;
    const node: PageNode = {
      event: first.event,
      type: 'transfer',
      index: first.index,
      ok: true,
      problems: [],
      signer: first.signer,
      internal: true,
      amount: amount.toString(),
      unspent: unspent.toString(),
      from: first.from,
      fund: holding.size === 1 ? [...holding][0] : last.fund,
      time: first.time,
      loggedAt: last.loggedAt,
      moves: { org: first.signer!.org, events: members },
    };
    for (const m of members) chainOf.set(m.event, node);
  }
  if (chainOf.size === 0) return result;

  const nodes: PageNode[] = [];
  const seen = new Set<PageNode>();
  for (const n of result.nodes) {
    const c = chainOf.get(n.event);
    if (!c) nodes.push(n);
    else if (!seen.has(c)) {
      seen.add(c);
      nodes.push(c);
    }
  }
  const merged = new Map<string, FlowResult>();
  const flows: FlowResult[] = [];
  for (const f of result.flows) {
    const from = chainOf.get(f.from)?.event ?? f.from;
    const to = chainOf.get(f.to)?.event ?? f.to;
    const inChain = chainOf.has(f.from) || chainOf.has(f.to);
    if (inChain && from === to) continue;
    if (!inChain) {
      flows.push(f);
      continue;
    }
    const k = `${from}\n${to}`;
    const have = merged.get(k);
    if (have) {
      have.value = ((big(have.value) ?? 0n) + (big(f.value) ?? 0n)).toString();
    } else {
      const g: FlowResult = { from, to, value: f.value, ok: true, problems: [] };
      merged.set(k, g);
      flows.push(g);
    }
  }
  return { ...result, nodes, flows };
}

/** The name to show for an org: its registered name, with the id when they differ. */
export function orgLabel(facts: BundleFacts, org: string): string {
  const name = facts.orgs.get(org);
  return name && name !== org ? `${name} (${org})` : org;
}

/** An org's registered name (proven org.register), else its id. */
export function orgName(facts: BundleFacts, org: string): string {
  return facts.orgs.get(org) || org;
}

/** A fund's name (proven fund.open), else its id. */
export function fundName(facts: BundleFacts, fund: string): string {
  return facts.funds.get(fund)?.name || fund;
}

/** A payment's payee: the registered org's name when the payee is one, else the text the payer wrote. */
export function payeeName(facts: BundleFacts, n: Pick<NodeResult, 'payee' | 'payeeRegistered'>): string {
  if (n.payee === undefined) return '';
  return n.payeeRegistered ? orgName(facts, n.payee) : n.payee;
}

/**
 * What happened to a step's money, in the words a donor uses (issue 12):
 *  - a donation reversed: refunded; a transfer reversed: moved back to its source fund;
 *  - a payment reversed: returned to its fund; confirmed by a verified confirmation:
 *    delivered (by whom); else awaiting confirmation of delivery;
 *  - money left in a step's fund: still in that fund.
 * Only verified confirmations and reversals count: a failed one proves nothing.
 */
export type StepState =
  | { kind: 'refunded' }
  | { kind: 'movedBack'; fund: string }
  | { kind: 'returned'; fund: string }
  | { kind: 'delivered'; by: string[] }
  | { kind: 'awaiting' };

export function stepStates(result: Pick<VerifyResult, 'nodes'>): Map<string, StepState> {
  const confirmedBy = new Map<string, string[]>();
  const reversed = new Set<string>();
  for (const n of result.nodes) {
    if (!n.ok) continue;
    if (n.type === 'confirmation' && n.confirms && n.signer) {
      const l = confirmedBy.get(n.confirms) ?? [];
      if (!l.includes(n.signer.org)) l.push(n.signer.org);
      confirmedBy.set(n.confirms, l);
    }
    if (n.type === 'reversal' && n.reverses) reversed.add(n.reverses);
  }
  const out = new Map<string, StepState>();
  for (const n of result.nodes) {
    if (n.type === 'donation' && reversed.has(n.event)) out.set(n.event, { kind: 'refunded' });
    else if (n.type === 'transfer' && reversed.has(n.event)) out.set(n.event, { kind: 'movedBack', fund: n.from ?? '' });
    else if (n.type === 'disbursement') {
      if (reversed.has(n.event)) out.set(n.event, { kind: 'returned', fund: n.from ?? '' });
      else if (confirmedBy.has(n.event)) out.set(n.event, { kind: 'delivered', by: confirmedBy.get(n.event)! });
      else out.set(n.event, { kind: 'awaiting' });
    }
  }
  return out;
}
