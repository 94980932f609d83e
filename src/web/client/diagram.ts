// Draws the flow diagram (layout.ts) as SVG: cards for the steps, curved bands for the
// money, each band labelled with its amount, each card marked ✓ Verified or ✗ and why
// (in text, not by colour alone). Cards are focusable buttons: click, Enter or Space opens
// their details. Styling is by classes only (app.css): no style attributes (CSP).
import type { NodeResult, Problem, VerifyResult } from '@cotc/verify';
import { t, reason, type MessageId } from '../strings.ts';
import { h, s, u } from './dom.ts';
import { bandPath, curvePath, layoutTrace, CARD_W, LINE, type LNode, type Layout } from './layout.ts';
import { fundName, orgName, payeeName, stepStates, type BundleFacts, type PageNode, type StepState } from './facts.ts';
import { list, money } from './locale.ts';
import { flowMark, giftShareOf, type GiftMarks } from './gift.ts';

export { money };

/** The type label of a node: moves between one org's own funds are said to be what they are. */
export function nodeTypeName(n: PageNode): string {
  if (n.moves) return t('diagram.moves', { count: n.moves.events.length });
  if (n.type === 'transfer' && n.internal) return t('type.internal');
  return typeName(n.type);
}

export function typeName(type: string): string {
  const id = `type.${type}` as MessageId;
  return ['donation', 'gift.batch', 'transfer', 'disbursement', 'confirmation', 'reversal'].includes(type) ? t(id) : t('type.other', { type: u(type, 40) });
}

/** What happened to a step, in words (facts.ts stepStates), with its mark and class. */
export function stateText(st: StepState | undefined, facts: BundleFacts): { text: string; cls: string; kind: string } | null {
  if (!st) return null;
  switch (st.kind) {
    case 'delivered':
      return { text: '✓ ' + t('state.delivered', { org: list(st.by.map((o) => u(orgName(facts, o)))) }), cls: 'c-delivered', kind: st.kind };
    case 'awaiting':
      return { text: '◷ ' + t('state.awaiting'), cls: 'c-wait', kind: st.kind };
    case 'refunded':
      return { text: '↩ ' + t('state.refunded'), cls: 'c-back', kind: st.kind };
    case 'returned':
      return { text: '↩ ' + t('state.returned', { fund: u(fundName(facts, st.fund)) }), cls: 'c-back', kind: st.kind };
    case 'movedBack':
      return { text: '↩ ' + t('state.movedBack', { fund: u(fundName(facts, st.fund)) }), cls: 'c-back', kind: st.kind };
  }
}

const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;
const ZERO = /[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0300-\u036f]/;

/** A rough width of text in em (CJK 1, Thai marks 0, others about 0.56): fitTexts is the safety net. */
export function textEm(x: string): number {
  let w = 0;
  for (const ch of x) w += WIDE.test(ch) ? 1 : ZERO.test(ch) ? 0 : /[A-Z@MW%]/.test(ch) ? 0.7 : 0.56;
  return w;
}

function segments(x: string): string[] {
  const Seg = (Intl as unknown as { Segmenter?: new (l?: string, o?: { granularity: string }) => { segment(s: string): Iterable<{ segment: string }> } }).Segmenter;
  if (Seg) return Array.from(new Seg(undefined, { granularity: 'word' }).segment(x), (p) => p.segment);
  return x.split(/(\s+)/);
}

/**
 * Text wrapped into lines of at most `em` wide, at word boundaries (Intl.Segmenter: Thai
 * and Chinese have no spaces), at most `max` lines; when more are needed the last ends
 * with … (the full text is in the step's details and its hover title).
 */
export function wrapLines(x: string, em: number, max: number): string[] {
  const lines: string[] = [];
  let cur = '';
  const push = () => {
    if (cur.trim()) lines.push(cur.trim());
    cur = '';
  };
  for (const seg of segments(x)) {
    if (textEm(cur + seg) <= em) {
      cur += seg;
      continue;
    }
    push();
    let rest = seg.trimStart();
    while (textEm(rest) > em) {
      let i = 1;
      while (i < rest.length && textEm(rest.slice(0, i + 1)) <= em) i++;
      lines.push(rest.slice(0, i));
      rest = rest.slice(i);
    }
    cur = rest;
  }
  push();
  if (lines.length <= max) return lines;
  const kept = lines.slice(0, max);
  let last = kept[max - 1]!;
  while (last.length > 1 && textEm(last + '…') > em) last = last.slice(0, -1);
  kept[max - 1] = last + '…';
  return kept;
}

/** The verifier's problem codes about one node (by event id, or by its entry index). */
const GLOBAL = new Set(['bad_checkpoint_signature', 'bad_checkpoint', 'missing_witness', 'witness_quorum', 'inconsistent_checkpoint', 'rollback', 'consistency_unavailable']);

export function nodeProblems(n: NodeResult, problems: Problem[]): Problem[] {
  const mine: Problem[] = [];
  for (const p of problems) {
    if (p.code === 'receipt_mismatch') continue;
    if (p.event === n.event || (p.index === n.index && (p.event === undefined || p.event === n.event))) mine.push(p);
  }
  if (!n.ok && mine.length === 0) {
    for (const p of problems) if (GLOBAL.has(p.code)) mine.push(p);
  }
  return mine;
}

/** The verifier's problem codes about one node (by event id, or by its entry index). */
export function nodeCodes(n: NodeResult, problems: Problem[]): string[] {
  return [...new Set(nodeProblems(n, problems).map((p) => p.code))];
}

interface CardLine {
  text: string;
  cls: string;
  /** the whole text of a wrapped group (on its first line); the HTML path wraps it itself */
  full?: string;
  /** a later line of a wrapped group */
  cont?: true;
  extra?: { text: string; cls: string };
}

/** The card's text width in em (12 px text in a card CARD_W wide, 18 px in and 8 px spare). */
const CARD_EM = (CARD_W - 26) / 12;

function cardLines(ln: LNode, currency: string, problems: Problem[], facts: BundleFacts, states: Map<string, StepState>, mine?: GiftMarks, flows: ReadonlyArray<{ from: string; to: string }> = []): CardLine[] {
  // Bold lines (states) are wider: a smaller budget, so fitTexts rarely has to cut.
  const wrap = (text: string, cls: string, max: number): CardLine[] => wrapLines(text, /c-delivered|c-wait|c-back/.test(cls) ? CARD_EM * 0.86 : CARD_EM * 0.95, max).map((x, i) => (i === 0 ? { text: x, cls, full: text } : { text: x, cls, cont: true as const }));
  if (ln.kind === 'unspent') {
    const held = mine && ln.holder ? mine.held.get(ln.holder.event) : undefined;
    return [
      { text: t('diagram.unspent'), cls: 'c-type' },
      { text: money(ln.value!.toString(), currency), cls: 'c-amount' },
      ...wrap(t('state.inFund', { fund: u(fundName(facts, ln.holder?.fund ?? '')) }), 'c-sub c-state', 3),
      ...(held !== undefined ? [{ text: t('gift.yourShare', { amount: money(held, currency) }), cls: 'c-gift' }] : []),
    ];
  }
  const n = ln.node! as PageNode;
  const lines: CardLine[] = [{ text: nodeTypeName(n), cls: 'c-type' }];
  if (n.type !== 'confirmation') {
    const line: CardLine = { text: money(n.amount, currency), cls: 'c-amount' };
    if (n.type !== 'donation' && n.eventAmount && n.eventAmount.value !== n.amount) {
      line.extra = { text: ' ' + t('diagram.of', { amount: money(n.eventAmount.value, n.eventAmount.currency) }), cls: 'c-of' };
    }
    lines.push(line);
  }
  let sub = '';
  if (n.type === 'donation' || n.type === 'gift.batch' || n.type === 'transfer') sub = n.fund ? t('diagram.toFund', { fund: u(fundName(facts, n.fund)) }) : '';
  else if (n.type === 'disbursement') sub = n.payee ? t('diagram.toPayee', { payee: u(payeeName(facts, n)) }) : '';
  else if (n.type === 'confirmation') sub = n.signer ? t('diagram.by', { org: u(orgName(facts, n.signer.org)) }) : '';
  else if (n.type === 'reversal') sub = n.reverses ? t('diagram.undoes', { event: u(n.reverses) }) : '';
  if (sub) lines.push(...wrap(sub, 'c-sub', 3));
  if (n.type === 'transfer' && n.internal && n.signer) lines.push(...wrap(t('diagram.internalBy', { org: u(orgName(facts, n.signer.org)) }), 'c-sub', 3));
  const fund = n.fund !== undefined && n.type !== 'disbursement' && n.type !== 'confirmation' ? facts.funds.get(n.fund) : undefined;
  if (fund?.restricted) lines.push(...wrap(t('diagram.restricted', { purpose: u(fund.purpose, 2000) }), 'c-sub c-restricted', 4));
  if (n.signer?.installedBy === 'operator') lines.push({ text: t('diagram.operatorKey'), cls: 'c-warn' });
  if (n.type === 'disbursement' && n.purpose) lines.push(...wrap(u(n.purpose, 2000), 'c-sub c-purpose', 4));
  if (n.type === 'confirmation' && n.statement) lines.push(...wrap(u(n.statement, 2000), 'c-sub', 3));
  const st = stateText(states.get(n.event), facts);
  if (st) lines.push(...wrap(st.text, st.cls, 3));
  // issue 15: the gift's part of this step
  const share = mine ? giftShareOf(mine, n.event, n.type, flows) : null;
  if (share !== null) lines.push({ text: n.type === 'gift.batch' ? t('gift.yourGift', { amount: money(share, currency) }) : t('gift.yourShare', { amount: money(share, currency) }), cls: 'c-gift' });
  if (n.ok) {
    lines.push({ text: t('diagram.ok'), cls: 'c-ok' });
  } else {
    const codes = nodeCodes(n, problems);
    lines.push({ text: t('diagram.bad', { reason: reason(codes[0] ?? 'other') }), cls: 'c-bad' });
    if (codes[0]) lines.push({ text: codes[0], cls: 'c-code' });
  }
  return lines;
}

export interface DiagramHandlers {
  onSelect(key: string, n: LNode): void;
}

export interface Diagram {
  svg: SVGSVGElement;
  layout: Layout;
  /** once the SVG is in the document: cuts card texts that overflow their card */
  fit(): void;
  select(key: string | null): void;
  /** the same path drawn top to bottom, for narrow screens (issue 12) */
  vertical: HTMLElement;
}

/** Cuts each text with data-fit (a width) to fit it, with an ellipsis (needs layout: call once attached). */
export function fitTexts(svg: SVGSVGElement): void {
  for (const el of Array.from(svg.querySelectorAll<SVGTextElement>('text[data-fit]'))) {
    const max = Number(el.getAttribute('data-fit'));
    if (!(max > 0) || el.getComputedTextLength() <= max) continue;
    const node = el.firstChild;
    if (!node || node.nodeType !== Node.TEXT_NODE) continue;
    const full = node.textContent ?? '';
    // The tspan after the text (e.g. "of CNY …") goes first.
    for (const tspan of Array.from(el.querySelectorAll('tspan'))) {
      if (el.getComputedTextLength() > max) tspan.remove();
    }
    let lo = 1;
    let hi = full.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      node.textContent = full.slice(0, mid) + '…';
      if (el.getComputedTextLength() <= max) lo = mid;
      else hi = mid - 1;
    }
    node.textContent = el.getComputedTextLength() <= max && lo === full.length ? full : full.slice(0, lo) + '…';
  }
}

/**
 * Sizes the SVG to its box: shrunk to fit when that keeps it at least `min` of its natural
 * size (desktop), else natural size, scrolling sideways in its box (phones). Attributes
 * only: the CSP allows no style attributes.
 */
export function fitToBox(svg: SVGSVGElement, box: HTMLElement, layout: Layout, min = 0.8): void {
  const apply = () => {
    const avail = box.clientWidth;
    const scale = avail > 0 && avail < layout.width && avail / layout.width >= min ? avail / layout.width : 1;
    svg.setAttribute('width', String(Math.floor(layout.width * scale)));
    svg.setAttribute('height', String(Math.ceil(layout.height * scale)));
  };
  apply();
  if (typeof ResizeObserver === 'function') new ResizeObserver(apply).observe(box);
}

export function drawDiagram(result: VerifyResult, currency: string, donationId: string, handlers: DiagramHandlers, facts: BundleFacts = { orgs: new Map(), funds: new Map() }, mine?: GiftMarks): Diagram {
  const states = stepStates(result);
  const linesCache = new Map<LNode, CardLine[]>();
  const linesFor = (ln: LNode) => {
    let l = linesCache.get(ln);
    if (!l) {
      l = cardLines(ln, currency, result.problems, facts, states, mine, result.flows);
      linesCache.set(ln, l);
    }
    return l;
  };
  const layout = layoutTrace(result.nodes, result.flows, (ln) => linesFor(ln).length);
  const titleId = 'diagram-title-svg';
  const svg = s('svg', {
    class: 'sankey',
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: 'group',
    'aria-labelledby': titleId,
  });
  svg.append(s('title', { id: titleId }, t('diagram.label', { id: u(donationId), count: result.nodes.length })));

  // Hatching for money not yet spent.
  const defs = s('defs');
  const pat = s('pattern', { id: 'hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  pat.append(s('rect', { class: 'hatch-bg', width: 8, height: 8 }), s('line', { class: 'hatch-line', x1: 0, y1: 0, x2: 0, y2: 8 }));
  defs.append(pat);
  svg.append(defs);

  const bands = s('g', { class: 'bands', 'aria-hidden': 'true' });
  const labels = s('g', { class: 'flow-labels' });
  for (const l of layout.links) {
    const x0 = l.from.x + CARD_W;
    const x1 = l.to.x;
    if (l.kind === 'confirms') {
      const same = l.from.x === l.to.x;
      const cx = l.from.x + CARD_W / 2;
      bands.append(s('path', { class: `link-confirms${l.ok ? '' : ' bad'}`, d: same ? curvePath(cx, l.sy, cx, l.ty) : curvePath(x0, l.sy, x1, l.ty) }));
      continue;
    }
    const cls = l.kind === 'unspent' ? 'band band-unspent' : `band ${l.ok ? 'band-ok' : 'band-bad'}`;
    const p = s('path', { class: cls, d: bandPath(x0, l.sy, x1, l.ty, l.w) });
    const amount = money(l.value?.toString() ?? '', currency);
    p.append(s('title', {}, `${amount}: ${u(l.from.node?.event ?? '')} → ${l.kind === 'unspent' ? t('diagram.unspent') : u(l.to.node?.event ?? '')}`));
    bands.append(p);
    const label = s(
      'text',
      {
        class: `flow-label${l.kind === 'unspent' ? ' unspent-label' : ''}${l.ok ? '' : ' bad'}`,
        x: Math.round(l.labelX),
        y: Math.round(l.labelY),
        'text-anchor': 'middle',
        'data-kind': l.kind,
        'data-from': l.from.node?.event ?? '',
        'data-to': l.kind === 'flow' ? (l.to.node?.event ?? '') : '',
      },
      (l.ok ? '' : '✗ ') + amount,
    );
    const share = linkShare(l, mine);
    // on a line of its own under the amount (a band label is narrow between two columns)
    if (share !== undefined) label.append(s('tspan', { class: 'gift-share', 'data-share': share, x: Math.round(l.labelX), dy: '1.2em' }, t('gift.yourShare', { amount: money(share, currency) })));
    labels.append(label);
  }
  svg.append(bands);

  const cards = s('g', { class: 'cards' });
  const byKey = new Map<string, SVGGElement>();
  for (const ln of layout.nodes) {
    const lines = linesFor(ln);
    const n = ln.node;
    const statusText = ln.kind === 'unspent' ? '' : n!.ok ? t('diagram.ok') : lines.find((x) => x.cls === 'c-bad')?.text ?? '';
    const aria = ariaOf(ln, lines, currency, facts, statusText);
    const state = n ? states.get(n.event)?.kind : undefined;
    const cls = ['node', ln.kind === 'unspent' ? 'node-unspent' : `node-${n!.type}`, ln.kind === 'unspent' ? '' : n!.ok ? 'ok' : 'bad', state ? `state-${state}` : ''].filter(Boolean).join(' ');
    const g = s('g', {
      class: cls,
      tabindex: 0,
      role: 'button',
      'aria-label': aria,
      'aria-pressed': 'false',
      'data-key': ln.key,
      'data-event': n?.event ?? '',
      'data-ok': ln.kind === 'unspent' ? '' : String(n!.ok),
      'data-state': state ?? null,
    });
    g.append(s('rect', { class: 'focus-ring', x: ln.x - 4, y: ln.y - 4, width: CARD_W + 8, height: ln.h + 8, rx: 10 }));
    g.append(s('rect', { class: 'card', x: ln.x, y: ln.y, width: CARD_W, height: ln.h, rx: 7 }));
    if (ln.bar > 0) g.append(s('rect', { class: 'bar', x: ln.x, y: ln.y, width: 8, height: Math.max(2, Math.min(ln.bar, ln.h)), rx: 2 }));
    let y = ln.y + 20;
    for (const line of lines) {
      const tx = s('text', { class: line.cls, x: ln.x + 18, y, 'data-fit': CARD_W - 26 }, line.text);
      if (line.extra) tx.append(s('tspan', { class: line.extra.cls }, line.extra.text));
      g.append(tx);
      y += LINE;
    }
    const full = ln.kind === 'unspent' ? aria : [aria, ...(n!.purpose ? [u(n!.purpose, 2000)] : []), ...(n!.problems.length ? n!.problems.map((p) => u(p)) : [])].join('\n');
    g.append(s('title', {}, full));
    const activate = () => handlers.onSelect(ln.key, ln);
    g.addEventListener('click', activate);
    g.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') {
        e.preventDefault();
        activate();
      }
    });
    byKey.set(ln.key, g);
    cards.append(g);
  }
  svg.append(cards, labels);
  const vertical = verticalPath(layout, linesFor, currency, facts, states, handlers, donationId, mine);

  return {
    svg,
    layout,
    vertical: vertical.el,
    fit() {
      fitTexts(svg);
    },
    select(key) {
      for (const [k, g] of [...byKey, ...vertical.byKey]) {
        const on = k === key;
        g.classList.toggle('selected', on);
        g.setAttribute('aria-pressed', String(on));
      }
    },
  };
}

/** The gift's share of a band (issue 15): of a flow, by its ends; of money left unspent, what the gift still has there. */
function linkShare(l: Layout['links'][number], mine: GiftMarks | undefined): string | undefined {
  if (!mine || l.kind === 'confirms') return undefined;
  if (l.kind === 'unspent') return l.from.node ? mine.held.get(l.from.node.event) : undefined;
  return l.from.node && l.to.node ? mine.flows.get(flowMark(l.from.node.event, l.to.node.event)) : undefined;
}

/** The card's words for a screen reader: type, amount, where to, state, verdict (no internal ids). */
function ariaOf(ln: LNode, lines: CardLine[], currency: string, facts: BundleFacts, statusText: string): string {
  if (ln.kind === 'unspent') return `${t('diagram.unspent')}: ${money(ln.value!.toString(), currency)}. ${t('state.inFund', { fund: u(fundName(facts, ln.holder?.fund ?? '')) })}`;
  const n = ln.node!;
  const words = lines.filter((l) => /c-sub|c-delivered|c-wait|c-back|c-gift/.test(l.cls) && !/c-purpose/.test(l.cls)).map((l) => l.text).join(' ');
  return t('diagram.nodeLabel', { type: nodeTypeName(n), amount: n.type === 'confirmation' ? '' : money(n.amount, currency), status: [words, statusText].filter(Boolean).join('. ') });
}

/**
 * The path top to bottom (phones, issue 12): the cards of the diagram in the order money
 * reaches them, each under the step it came from with the amount that came, as HTML that
 * wraps to any width. A step with one way on continues straight down; where money splits,
 * each branch is indented under it. The same handlers open the same details.
 */
function verticalPath(
  layout: Layout,
  linesFor: (ln: LNode) => CardLine[],
  currency: string,
  facts: BundleFacts,
  states: Map<string, StepState>,
  handlers: DiagramHandlers,
  donationId: string,
  mine?: GiftMarks,
): { el: HTMLElement; byKey: Map<string, Element> } {
  const outs = new Map<LNode, typeof layout.links>();
  const hasParent = new Set<LNode>();
  for (const l of layout.links) {
    outs.set(l.from, [...(outs.get(l.from) ?? []), l]);
  }
  const byKey = new Map<string, Element>();
  const seen = new Set<LNode>();
  const card = (ln: LNode, via: (typeof layout.links)[number] | null): HTMLElement => {
    const n = ln.node;
    const lines = linesFor(ln);
    const state = n ? states.get(n.event)?.kind : undefined;
    const cls = ['vcard', ln.kind === 'unspent' ? 'node-unspent' : `node-${n!.type}`, ln.kind === 'unspent' ? '' : n!.ok ? 'ok' : 'bad', state ? `state-${state}` : ''].filter(Boolean).join(' ');
    const statusText = ln.kind === 'unspent' ? '' : n!.ok ? t('diagram.ok') : lines.find((x) => x.cls === 'c-bad')?.text ?? '';
    const el = h(
      'div',
      { class: cls, tabindex: 0, role: 'button', 'aria-pressed': 'false', 'aria-label': ariaOf(ln, lines, currency, facts, statusText), 'data-key': ln.key, 'data-event': n?.event ?? '', 'data-state': state ?? null },
      // Whole texts: HTML wraps them to the screen, nothing is cut.
      ...lines.filter((line) => !line.cont).map((line) => h('div', { class: line.cls }, line.full ?? line.text, line.extra ? h('span', { class: line.extra.cls }, line.extra.text) : null)),
    );
    const activate = () => handlers.onSelect(ln.key, ln);
    el.addEventListener('click', activate);
    el.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') {
        e.preventDefault();
        activate();
      }
    });
    byKey.set(ln.key, el);
    const link = via
      ? h(
          'div',
          { class: `vlink vlink-${via.kind}${via.ok ? '' : ' bad'}`, 'aria-hidden': 'true' },
          via.kind === 'confirms' ? '⋮ ' + t('diagram.legend.confirms') : `↓ ${via.ok ? '' : '✗ '}${money(via.value?.toString() ?? '', currency)}`,
          via.kind !== 'confirms' && linkShare(via, mine) !== undefined ? ` · ${t('gift.yourShare', { amount: money(linkShare(via, mine)!, currency) })}` : null,
        )
      : null;
    return h('li', { class: 'vstep' }, link, el);
  };
  const walk = (ln: LNode, via: (typeof layout.links)[number] | null, into: HTMLElement) => {
    if (seen.has(ln)) return;
    seen.add(ln);
    into.append(card(ln, via));
    const next = (outs.get(ln) ?? []).filter((l) => !seen.has(l.to)).sort((a, b) => a.to.y - b.to.y || a.to.x - b.to.x);
    if (next.length === 1) walk(next[0]!.to, next[0]!, into);
    else if (next.length > 1) {
      const branches = h('ol', { class: 'vbranches' });
      for (const l of next) {
        if (seen.has(l.to)) continue;
        const branch = h('ol', { class: 'vpath-branch' });
        walk(l.to, l, branch);
        branches.append(h('li', { class: 'vbranch' }, branch));
      }
      into.append(h('li', { class: 'vstep' }, branches));
    }
  };
  for (const l of layout.links) hasParent.add(l.to);
  const root = h('ol', { class: 'vpath', id: 'vpath', 'aria-label': t('diagram.label', { id: u(donationId), count: layout.nodes.length }) });
  const roots = layout.nodes.filter((n) => !hasParent.has(n)).sort((a, b) => a.depth - b.depth || a.y - b.y);
  for (const r of roots) walk(r, null, root);
  for (const n of [...layout.nodes].sort((a, b) => a.x - b.x || a.y - b.y)) if (!seen.has(n)) walk(n, null, root);
  return { el: root, byKey };
}
