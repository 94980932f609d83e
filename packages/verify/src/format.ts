// A text tree of a verified trace, for the CLI (and any terminal): from the donation
// through transfers to disbursements (purpose, payee, receipts) and their confirmations,
// the amount on every flow, the unspent remainder in every fund, each line ✓ or ✗ with
// its problems. Everything printed that came from the bundle is stripped of control and
// bidirectional-override characters, so a hostile bundle cannot repaint the terminal.
import { formatAmount } from '@cotc/ledger';
import type { FlowResult, NodeResult, VerifyResult } from './types.ts';

const OK = '✓';
const BAD = '✗';

// C0, DEL, C1, and the bidi marks/overrides/isolates that can make text read backwards.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Escapes control and bidi characters as \u{…}; cuts very long strings. */
export function safeText(s: unknown, max = 300): string {
  let t = typeof s === 'string' ? s : String(s);
  if (t.length > max) t = t.slice(0, max - 1) + '…';
  return t.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

const q = (s: string | undefined) => (s === undefined ? '' : `"${safeText(s)}"`);

function group(value: string): string {
  // 1234567 → 1 234 567 (thin grouping keeps the digits exact and readable)
  return /^[0-9]+$/.test(value) ? value.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') : safeText(value);
}

/** "CNY 35.45" from minor units; anything not a plain integer is shown escaped, as is. */
function money(value: string, currency: string): string {
  return /^[0-9]+$/.test(value) && /^[A-Z]{3}$/.test(currency) ? formatAmount({ currency, value }) : `${safeText(value)} ${safeText(currency)}`;
}

function describe(n: NodeResult, currency: string): string {
  const id = safeText(n.event);
  const by = n.signer ? ` — signed by ${safeText(n.signer.org)}` : '';
  const at = ` [#${n.index}]`;
  switch (n.type) {
    case 'donation':
      return `donation ${id}: ${n.amount !== undefined ? money(n.amount, currency) : '?'} into fund ${safeText(n.fund ?? '?')}${by}${at}`;
    case 'transfer':
      return `transfer ${id}: ${safeText(n.from ?? '?')} → fund ${safeText(n.fund ?? '?')}${n.memo ? ` ${q(n.memo)}` : ''}${by}${at}`;
    case 'disbursement':
      return `disbursement ${id}: paid to ${q(n.payee)} for ${q(n.purpose)} from fund ${safeText(n.from ?? '?')}${
        n.eventAmount ? ` (payment of ${money(n.eventAmount.value, n.eventAmount.currency)} in all)` : ''
      }${by}${at}`;
    case 'confirmation':
      return `confirmation ${id}: ${q(n.statement)}${by}${at}`;
    case 'reversal':
      return `${n.fund === undefined ? 'refund' : 'reversal'} ${id} of ${safeText(n.reverses ?? '?')}${n.reason ? `: ${q(n.reason)}` : ''}${
        n.fund !== undefined ? `, money back into fund ${safeText(n.fund)}` : ''
      }${by}${at}`;
    default:
      return `${safeText(n.type)} ${id}${by}${at}`;
  }
}

function docLines(n: NodeResult): string[] {
  const out: string[] = [];
  for (const r of n.receipts ?? []) out.push(`receipt ${q(r.name)} sha256 ${safeText(r.sha256)}`);
  for (const r of n.evidence ?? []) out.push(`evidence ${q(r.name)} sha256 ${safeText(r.sha256)}`);
  return out;
}

/**
 * The flow graph of a verified bundle as a tree of text lines. `bundle` is only a fallback
 * for the currency and donation id when the result could not establish them.
 */
export function formatTraceTree(result: VerifyResult, bundle?: unknown): string {
  const b = (typeof bundle === 'object' && bundle !== null ? bundle : {}) as { trace?: { donation?: unknown; currency?: unknown } };
  const currency = safeText(result.donation?.amount.currency ?? (typeof b.trace?.currency === 'string' ? b.trace.currency : '?'));
  const rootId = result.donation?.id ?? (typeof b.trace?.donation === 'string' ? b.trace.donation : undefined);
  const lines: string[] = [];

  lines.push(`${result.ok ? OK : BAD} donation ${safeText(rootId ?? '?')}: ${result.ok ? 'every hop verified' : 'NOT VERIFIED'}`);
  if (result.checkpoint) {
    lines.push(`  log ${safeText(result.checkpoint.origin)}, checkpoint of ${result.checkpoint.size} entries, root ${result.checkpoint.root}`);
  } else {
    lines.push(`  ${BAD} no checkpoint signed by the log key`);
  }
  if (result.receipt === 'matched') lines.push(`  ${OK} receipt: the secret opens the donor commitment — this donation is yours`);
  else if (result.receipt === 'mismatch') lines.push(`  ${BAD} receipt: the secret does NOT open the donor commitment`);
  if (result.donation) {
    lines.push(`  channel ${q(result.donation.channel)}, posted ${safeText(result.donation.time)} by ${safeText(result.donation.org)}`);
  }
  lines.push('');

  const byId = new Map(result.nodes.map((n) => [n.event, n]));
  const children = new Map<string, Array<{ node: NodeResult; flow?: FlowResult }>>();
  const hasParent = new Set<string>();
  const push = (parent: string, child: { node: NodeResult; flow?: FlowResult }) => {
    const l = children.get(parent) ?? [];
    l.push(child);
    children.set(parent, l);
    hasParent.add(child.node.event);
  };
  for (const f of result.flows) {
    const to = byId.get(f.to);
    if (to && byId.has(f.from)) push(f.from, { node: to, flow: f });
  }
  for (const n of result.nodes) {
    if (n.type === 'confirmation' && n.confirms !== undefined && byId.has(n.confirms)) push(n.confirms, { node: n });
  }
  for (const l of children.values()) l.sort((x, y) => x.node.index - y.node.index);

  const shown = new Set<string>();
  const render = (n: NodeResult, flow: FlowResult | undefined, head: string, cont: string) => {
    const ok = n.ok && (flow === undefined || flow.ok);
    const amount = flow ? `${money(flow.value, currency)} → ` : '';
    if (shown.has(n.event)) {
      lines.push(`${head}${ok ? OK : BAD} ${amount}${safeText(n.event)} (shown above)`);
      return;
    }
    shown.add(n.event);
    lines.push(`${head}${ok ? OK : BAD} ${amount}${describe(n, currency)}`);
    const kids = children.get(n.event) ?? [];
    const extra: string[] = [...docLines(n)];
    for (const p of n.problems) extra.push(`${BAD} ${safeText(p, 500)}`);
    for (const p of flow?.problems ?? []) extra.push(`${BAD} ${safeText(p, 500)}`);
    const unspent = n.unspent !== undefined && n.unspent !== '0' ? `unspent: ${money(n.unspent, currency)} still in fund ${safeText(n.fund ?? '?')}` : undefined;
    const pad = kids.length > 0 || unspent ? `${cont}│    ` : `${cont}     `;
    for (const e of extra) lines.push(`${pad}${e}`);
    kids.forEach((k, i) => {
      const lastKid = i === kids.length - 1 && !unspent;
      render(k.node, k.flow, `${cont}${lastKid ? '└─ ' : '├─ '}`, `${cont}${lastKid ? '   ' : '│  '}`);
    });
    if (unspent) lines.push(`${cont}└─ ${unspent}`);
  };

  const root = rootId !== undefined ? byId.get(rootId) : undefined;
  if (root) render(root, undefined, '', '');
  // Nodes the donation does not reach: roots of their own subtrees first, then the rest.
  const orphans = result.nodes.filter((n) => !shown.has(n.event) && !hasParent.has(n.event));
  const unreached = result.nodes.filter((n) => !shown.has(n.event) && hasParent.has(n.event));
  if (orphans.length || unreached.length) {
    lines.push('');
    lines.push('not connected to the donation:');
    for (const n of [...orphans, ...unreached]) if (!shown.has(n.event)) render(n, undefined, '  ', '  ');
  }

  const attached = new Set(result.nodes.flatMap((n) => n.problems));
  for (const f of result.flows) for (const p of f.problems) attached.add(p);
  const rest = result.problems.filter((p) => !attached.has(p.message) && p.code !== 'receipt_mismatch');
  if (rest.length) {
    lines.push('');
    lines.push('problems:');
    for (const p of rest) lines.push(`  ${BAD} ${p.code}${p.index !== undefined ? ` (entry ${p.index})` : ''}: ${safeText(p.message, 500)}`);
  }
  return lines.join('\n') + '\n';
}
