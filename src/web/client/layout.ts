// The layout of the Sankey-style flow diagram of one donation's trace, by hand: columns by
// hop depth (the donation left, then each hop one column further right), each step a card
// whose money bar is as tall as its share of the donation, money as curved bands whose
// width is proportional to the amount, the unspent remainder as a band into a "not yet
// spent" card, confirmations linked to the payments they confirm. Pure: no DOM (tested in
// Node); diagram.ts draws it.
import type { FlowResult, NodeResult } from '@cotc/verify';

export const CARD_W = 188;
export const GAP = 100;
export const PAD = 16;
export const VGAP = 18;
/** the gap between a payment and its confirmation below it */
export const CONFIRM_GAP = 22;
/** the donation's whole amount is this tall */
export const SCALE_H = 180;
export const MIN_BAND = 2;
export const LINE = 17;

export type LNodeKind = 'event' | 'unspent';

export interface LNode {
  key: string;
  kind: LNodeKind;
  node?: NodeResult;
  /** for an unspent card: the node whose fund holds it */
  holder?: NodeResult;
  /** this donation's money here (minor units), null for a confirmation */
  value: bigint | null;
  depth: number;
  x: number;
  y: number;
  /** card height */
  h: number;
  /** money bar height */
  bar: number;
  ok: boolean;
  /** text lines the card needs (diagram.ts fills them; only the count matters here) */
  lines: number;
}

export type LinkKind = 'flow' | 'unspent' | 'confirms';

export interface LLink {
  kind: LinkKind;
  from: LNode;
  to: LNode;
  value: bigint | null;
  /** band width */
  w: number;
  /** top of the band at the source's right edge and at the target's left edge */
  sy: number;
  ty: number;
  ok: boolean;
  flow?: FlowResult;
  /** where its amount label goes (after spreading labels apart) */
  labelX: number;
  labelY: number;
}

export interface Layout {
  nodes: LNode[];
  links: LLink[];
  width: number;
  height: number;
  columns: number;
}

const big = (v: string | undefined): bigint | null => (v !== undefined && /^[0-9]{1,30}$/.test(v) ? BigInt(v) : null);

/**
 * Lays out the nodes and flows of a verified (or failed) trace. `linesOf` says how many text
 * lines a card needs (its height is at least that). Flows whose ends are not nodes are left
 * out (the problem list names them).
 */
export function layoutTrace(nodes: NodeResult[], flows: FlowResult[], linesOf: (n: LNode) => number): Layout {
  const byId = new Map<string, LNode>();
  const lnodes: LNode[] = [];
  const sorted = [...nodes].sort((a, b) => a.index - b.index);
  const donation = sorted.find((n) => n.type === 'donation');
  const total = big(donation?.amount) ?? sorted.reduce((m, n) => (big(n.amount) ?? 0n) > m ? big(n.amount)! : m, 0n);
  const px = (v: bigint | null): number => {
    if (v === null || total <= 0n) return 0;
    const f = Number((v * 1_000_000n) / total) / 1_000_000;
    return Math.max(MIN_BAND, f * SCALE_H);
  };

  for (const n of sorted) {
    if (byId.has(n.event)) continue;
    const value = n.type === 'confirmation' ? null : big(n.amount);
    const ln: LNode = { key: n.event, kind: 'event', node: n, value, depth: 0, x: 0, y: 0, h: 0, bar: px(value), ok: n.ok, lines: 0 };
    byId.set(n.event, ln);
    lnodes.push(ln);
  }

  // Links: money flows (forward in the log only: a flow's target is logged after its source).
  const links: LLink[] = [];
  const mk = (kind: LinkKind, from: LNode, to: LNode, value: bigint | null, ok: boolean, flow?: FlowResult): LLink => ({
    kind, from, to, value, w: kind === 'confirms' ? 0 : px(value), sy: 0, ty: 0, ok, flow, labelX: 0, labelY: 0,
  });
  for (const f of flows) {
    const a = byId.get(f.from);
    const b = byId.get(f.to);
    if (!a || !b || a === b) continue;
    links.push(mk('flow', a, b, big(f.value), f.ok, f));
  }
  for (const ln of [...lnodes]) {
    const n = ln.node!;
    if (n.type === 'confirmation' && n.confirms && byId.has(n.confirms)) {
      links.push(mk('confirms', byId.get(n.confirms)!, ln, null, n.ok));
    }
  }

  // Depth: the longest path from the donation, over links going forward in the log. A
  // confirmation goes in its payment's column, right below it (it moves no money).
  for (const ln of lnodes) {
    let d = ln.node!.type === 'donation' ? 0 : 1;
    for (const l of links) {
      if (l.to !== ln || l.from.node!.index >= ln.node!.index) continue;
      d = Math.max(d, l.kind === 'confirms' ? l.from.depth : l.from.depth + 1);
    }
    ln.depth = d;
  }

  // The unspent remainder of each node that holds money.
  for (const ln of [...lnodes]) {
    const n = ln.node!;
    const un = big(n.unspent);
    if (un === null || un === 0n) continue;
    const u: LNode = { key: `unspent:${n.event}`, kind: 'unspent', holder: n, value: un, depth: ln.depth + 1, x: 0, y: 0, h: 0, bar: px(un), ok: n.ok, lines: 0 };
    lnodes.push(u);
    links.push(mk('unspent', ln, u, un, n.ok));
  }

  for (const ln of lnodes) {
    ln.lines = linesOf(ln);
    ln.h = Math.max(ln.bar, ln.lines * LINE + 16);
  }

  // Columns, placed left to right; each card as near as it can be to where its first
  // incoming band leaves its source, then pushed down to clear the card above.
  const columns = lnodes.reduce((m, n) => Math.max(m, n.depth + 1), 1);
  const outOffset = new Map<LLink, number>();
  const portsOut = (src: LNode) => {
    const outs = links.filter((l) => l.from === src);
    outs.sort((a, b) => order(a) - order(b));
    let off = 0;
    for (const l of outs) {
      if (l.kind === 'confirms') {
        outOffset.set(l, Math.min(src.h / 2, Math.max(off, src.bar) + 8));
        continue;
      }
      outOffset.set(l, off);
      off += l.w;
    }
  };
  // Before targets are placed: by kind (money first, unspent, then confirmations) and log order.
  const order = (l: LLink) => (l.kind === 'flow' ? 0 : l.kind === 'unspent' ? 1e12 : 2e12) + (l.to.node?.index ?? 0) + (l.to.y > 0 ? l.to.y * 1e-3 : 0);

  let height = 0;
  for (let d = 0; d < columns; d++) {
    const col = lnodes.filter((n) => n.depth === d);
    const desired = new Map<LNode, number>();
    for (const n of col) {
      let want = Infinity;
      for (const l of links) {
        if (l.to !== n) continue;
        if (l.kind === 'confirms' && l.from.depth === d) want = Math.min(want, 1e9 + l.from.node!.index);
        else if (l.from.depth < d) want = Math.min(want, l.from.y + (outOffset.get(l) ?? 0));
      }
      desired.set(n, Number.isFinite(want) ? want : PAD);
    }
    // Confirmations are placed right after the payment they confirm.
    const confirmsOf = new Map<LNode, LNode[]>();
    for (const l of links) {
      if (l.kind === 'confirms' && l.from.depth === d && l.to.depth === d) confirmsOf.set(l.from, [...(confirmsOf.get(l.from) ?? []), l.to]);
    }
    const stacked = new Set([...confirmsOf.values()].flat());
    const main = col.filter((n) => !stacked.has(n));
    main.sort((a, b) => desired.get(a)! - desired.get(b)! || (a.node?.index ?? Infinity) - (b.node?.index ?? Infinity) || (a.key < b.key ? -1 : 1));
    let next = PAD;
    const place = (n: LNode, y: number) => {
      n.x = PAD + d * (CARD_W + GAP);
      n.y = y;
      next = n.y + n.h + VGAP;
      height = Math.max(height, n.y + n.h);
    };
    for (const n of main) {
      place(n, Math.max(desired.get(n)!, next));
      for (const c of (confirmsOf.get(n) ?? []).sort((a, b) => a.node!.index - b.node!.index)) place(c, next - VGAP + CONFIRM_GAP);
    }
    for (const n of col) portsOut(n);
  }

  // Final ports: outgoing bands in the order of their targets' positions, incoming bands
  // in the order of their sources' (so bands do not cross needlessly).
  for (const n of lnodes) {
    const outs = links.filter((l) => l.from === n && l.kind !== 'confirms').sort((a, b) => a.to.y - b.to.y || a.to.x - b.to.x);
    let off = 0;
    for (const l of outs) {
      l.sy = n.y + off;
      off += l.w;
    }
    for (const l of links.filter((x) => x.from === n && x.kind === 'confirms')) l.sy = n.y + n.h;
    const ins = links.filter((l) => l.to === n && l.kind !== 'confirms').sort((a, b) => a.from.y - b.from.y || a.sy - b.sy);
    off = 0;
    for (const l of ins) {
      l.ty = n.y + off;
      off += l.w;
    }
    for (const l of links.filter((x) => x.to === n && x.kind === 'confirms')) l.ty = n.y;
  }

  // Amount labels: in the middle of the gap after the source, spread apart vertically.
  const byGap = new Map<number, LLink[]>();
  for (const l of links) {
    if (l.kind === 'confirms') continue;
    l.labelX = l.from.x + CARD_W + GAP / 2;
    l.labelY = (l.sy + l.ty + l.w) / 2 + 4;
    const g = byGap.get(l.from.depth) ?? [];
    g.push(l);
    byGap.set(l.from.depth, g);
  }
  for (const g of byGap.values()) {
    g.sort((a, b) => a.labelY - b.labelY);
    for (let i = 1; i < g.length; i++) g[i]!.labelY = Math.max(g[i]!.labelY, g[i - 1]!.labelY + 16);
    for (const l of g) height = Math.max(height, l.labelY + 6);
  }

  return { nodes: lnodes, links, width: PAD * 2 + columns * CARD_W + (columns - 1) * GAP, height: Math.ceil(height + PAD), columns };
}

/** The SVG path of a band of width w from (x0, y0) to (x1, y1) (tops of the band). */
export function bandPath(x0: number, y0: number, x1: number, y1: number, w: number): string {
  const xm = (x0 + x1) / 2;
  const r = (v: number) => Math.round(v * 10) / 10;
  return `M${r(x0)},${r(y0)}C${r(xm)},${r(y0)} ${r(xm)},${r(y1)} ${r(x1)},${r(y1)}L${r(x1)},${r(y1 + w)}C${r(xm)},${r(y1 + w)} ${r(xm)},${r(y0 + w)} ${r(x0)},${r(y0 + w)}Z`;
}

/** A line from (x0, y0) to (x1, y1): straight down when in one column, else curved. */
export function curvePath(x0: number, y0: number, x1: number, y1: number): string {
  if (x0 === x1) return `M${x0},${y0}L${x1},${y1}`;
  const xm = (x0 + x1) / 2;
  return `M${x0},${y0}C${xm},${y0} ${xm},${y1} ${x1},${y1}`;
}
