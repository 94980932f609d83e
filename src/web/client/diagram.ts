// Draws the flow diagram (layout.ts) as SVG: cards for the steps, curved bands for the
// money, each band labelled with its amount, each card marked ✓ Verified or ✗ and why
// (in text, not by colour alone). Cards are focusable buttons: click, Enter or Space opens
// their details. Styling is by classes only (app.css): no style attributes (CSP).
import { formatAmount } from '@cotc/ledger';
import type { NodeResult, Problem, VerifyResult } from '@cotc/verify';
import { t, reason, type MessageId } from '../strings.ts';
import { s, u, cut } from './dom.ts';
import { bandPath, curvePath, layoutTrace, CARD_W, LINE, type LNode, type Layout } from './layout.ts';
import { orgLabel, type BundleFacts, type PageNode } from './facts.ts';

export function money(value: string | undefined | null, currency: string): string {
  if (value === undefined || value === null) return '';
  return /^[0-9]+$/.test(value) && /^[A-Z]{3}$/.test(currency) ? formatAmount({ currency, value }) : `${u(value, 40)} ${u(currency, 8)}`;
}

/** The type label of a node: moves between one org's own funds are said to be what they are. */
export function nodeTypeName(n: PageNode): string {
  if (n.moves) return t('diagram.moves', { count: n.moves.events.length });
  if (n.type === 'transfer' && n.internal) return t('type.internal');
  return typeName(n.type);
}

export function typeName(type: string): string {
  const id = `type.${type}` as MessageId;
  return ['donation', 'transfer', 'disbursement', 'confirmation', 'reversal'].includes(type) ? t(id) : u(type, 40);
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
  extra?: { text: string; cls: string };
}

function cardLines(ln: LNode, currency: string, problems: Problem[], facts: BundleFacts): CardLine[] {
  if (ln.kind === 'unspent') {
    return [
      { text: t('diagram.unspent'), cls: 'c-type' },
      { text: money(ln.value!.toString(), currency), cls: 'c-amount' },
      { text: cut(t('diagram.inFund', { fund: u(ln.holder?.fund ?? '') }), 60), cls: 'c-sub' },
    ];
  }
  const n = ln.node! as PageNode;
  const lines: CardLine[] = [
    { text: nodeTypeName(n), cls: 'c-type' },
    { text: cut(u(n.event), 60), cls: 'c-id' },
  ];
  if (n.type !== 'confirmation') {
    const line: CardLine = { text: money(n.amount, currency), cls: 'c-amount' };
    if (n.type !== 'donation' && n.eventAmount && n.eventAmount.value !== n.amount) {
      line.extra = { text: ' ' + t('diagram.of', { amount: money(n.eventAmount.value, n.eventAmount.currency) }), cls: 'c-of' };
    }
    lines.push(line);
  }
  let sub = '';
  if (n.type === 'donation' || n.type === 'transfer') sub = n.fund ? t('diagram.toFund', { fund: u(n.fund) }) : '';
  else if (n.type === 'disbursement') sub = n.payee ? t('diagram.toPayee', { payee: u(n.payee) }) : '';
  else if (n.type === 'confirmation') sub = n.signer ? t('diagram.by', { org: u(n.signer.org) }) : n.statement ? u(n.statement) : '';
  else if (n.type === 'reversal') sub = n.reverses ? t('diagram.undoes', { event: u(n.reverses) }) : '';
  if (sub) lines.push({ text: cut(sub, 60), cls: 'c-sub' });
  if (n.type === 'transfer' && n.internal && n.signer) lines.push({ text: cut(t('diagram.internalBy', { org: u(orgLabel(facts, n.signer.org)) }), 60), cls: 'c-sub' });
  const fund = n.fund !== undefined && n.type !== 'disbursement' && n.type !== 'confirmation' ? facts.funds.get(n.fund) : undefined;
  if (fund?.restricted) lines.push({ text: cut(t('diagram.restricted', { purpose: u(fund.purpose) }), 60), cls: 'c-sub c-restricted' });
  if (n.signer?.installedBy === 'operator') lines.push({ text: t('diagram.operatorKey'), cls: 'c-warn' });
  if (n.type === 'disbursement' && n.purpose) lines.push({ text: cut(u(n.purpose), 60), cls: 'c-sub' });
  if (n.type === 'confirmation' && n.statement) lines.push({ text: cut(u(n.statement), 60), cls: 'c-sub' });
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

export function drawDiagram(result: VerifyResult, currency: string, donationId: string, handlers: DiagramHandlers, facts: BundleFacts = { orgs: new Map(), funds: new Map() }): Diagram {
  const linesCache = new Map<LNode, CardLine[]>();
  const linesFor = (ln: LNode) => {
    let l = linesCache.get(ln);
    if (!l) {
      l = cardLines(ln, currency, result.problems, facts);
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
    labels.append(label);
  }
  svg.append(bands);

  const cards = s('g', { class: 'cards' });
  const byKey = new Map<string, SVGGElement>();
  for (const ln of layout.nodes) {
    const lines = linesFor(ln);
    const n = ln.node;
    const statusText = ln.kind === 'unspent' ? '' : n!.ok ? t('diagram.ok') : lines.find((x) => x.cls === 'c-bad')?.text ?? '';
    const aria = ln.kind === 'unspent'
      ? `${t('diagram.unspent')}: ${money(ln.value!.toString(), currency)} ${t('diagram.inFund', { fund: u(ln.holder?.fund ?? '') })}`
      : t('diagram.nodeLabel', { type: nodeTypeName(n!), id: u(n!.event), amount: money(n!.amount, currency), status: statusText });
    const cls = ['node', ln.kind === 'unspent' ? 'node-unspent' : `node-${n!.type}`, ln.kind === 'unspent' ? '' : n!.ok ? 'ok' : 'bad'].filter(Boolean).join(' ');
    const g = s('g', {
      class: cls,
      tabindex: 0,
      role: 'button',
      'aria-label': aria,
      'aria-pressed': 'false',
      'data-key': ln.key,
      'data-event': n?.event ?? '',
      'data-ok': ln.kind === 'unspent' ? '' : String(n!.ok),
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
    const full = ln.kind === 'unspent' ? aria : [aria, ...(n!.problems.length ? n!.problems.map((p) => u(p)) : [])].join('\n');
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

  return {
    svg,
    layout,
    fit() {
      fitTexts(svg);
    },
    select(key) {
      for (const [k, g] of byKey) {
        const on = k === key;
        g.classList.toggle('selected', on);
        g.setAttribute('aria-pressed', String(on));
      }
    },
  };
}
