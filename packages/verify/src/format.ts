// A text tree of a verified trace, for the CLI (and any terminal): from the donation
// through transfers to disbursements (purpose, payee, receipts) and their confirmations,
// the amount on every flow, the unspent remainder in every fund, each line ✓ or ✗ with
// its problems. Everything printed that came from the bundle is stripped of control and
// bidirectional-override characters, so a hostile bundle cannot repaint the terminal.
import { formatAmount } from '@cotc/ledger';
import type { FlowResult, NodeResult, VerifyResult } from './types.ts';

const OK = '✓';
const BAD = '✗';
const WARN = '⚠';
/** Runs of moves between one org's own funds shorter than this are drawn hop by hop. */
const COLLAPSE_MIN = 2;

type Kid = { node: NodeResult; flow?: FlowResult };
interface MoveGroup {
  org: string;
  moves: NodeResult[];
  value: bigint;
  exits: Kid[];
  unspent: bigint;
  funds: Set<string>;
}

// Everything that could make one string look like another, or repaint a terminal or a page:
// C0 and C1 controls and DEL (ESC sequences start with one), the line and paragraph
// separators, every format character (Unicode Cf: the bidi embeddings, overrides, isolates
// and marks U+202A–202E, U+2066–2069, U+200E/F, U+061C, the zero-width ones, the BOM, tags),
// every default-ignorable code point (variation selectors, the Hangul fillers U+115F,
// U+1160, U+3164, U+FFA0 among them: invisible, so "sch\u200bool" would pass for "school"),
// and lone surrogates (not text at all). The backslash is escaped too, so that "\u202e" on
// screen always means the escape, never a string that contained those six characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\\\u2028\u2029\u115f\u1160\u3164\uffa0]|\p{Cf}|\p{Default_Ignorable_Code_Point}|[\ud800-\udfff]/gu;

function escapeChar(c: string): string {
  if (c === '\\') return '\\\\';
  const cp = c.codePointAt(0)!;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/**
 * The one escaping function for every string from outside (a server, a bundle, another
 * org) before a terminal or a page shows it: controls, ESC sequences, bidi overrides and
 * isolates, zero-width, invisible and format characters and lone surrogates are shown as
 * `\u202e` (`\u{e0041}` above U+FFFF), a backslash as `\\`; strings longer than `max`
 * UTF-16 units are cut, with "…". Non-strings are shown with String().
 */
export function safeText(s: unknown, max = 300): string {
  let t: string;
  try {
    t = typeof s === 'string' ? s : String(s);
  } catch {
    t = '(unprintable)';
  }
  if (t.length > max) {
    let cut = Math.max(0, max - 1);
    const last = t.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut--; // do not split a surrogate pair
    t = t.slice(0, cut) + '…';
  }
  return t.replace(UNSAFE, escapeChar);
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
  const by = !n.signer
    ? ''
    : n.signer.installedBy === 'operator'
      ? ` — signed with a key the log operator installed for ${safeText(n.signer.org)}, not by ${safeText(n.signer.org)} itself`
      : ` — signed by ${safeText(n.signer.org)}`;
  const at = ` [#${n.index}]`;
  switch (n.type) {
    case 'donation':
      return `donation ${id}: ${n.amount !== undefined ? money(n.amount, currency) : '?'} into fund ${safeText(n.fund ?? '?')}${by}${at}`;
    case 'transfer':
      return `transfer ${id}: ${safeText(n.from ?? '?')} → fund ${safeText(n.fund ?? '?')}${n.memo ? ` ${q(n.memo)}` : ''}${by}${at}`;
    case 'disbursement':
      return `disbursement ${id}: paid to ${n.payeeRegistered ? `organisation ${safeText(n.payee)}` : q(n.payee)} for ${q(n.purpose)} from fund ${safeText(n.from ?? '?')}${
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
  const opSigned = result.operatorSigned ?? [];
  if (opSigned.length > 0) {
    const list = opSigned.slice(0, 5).map((x) => safeText(x)).join(', ') + (opSigned.length > 5 ? `, … (${opSigned.length - 5} more)` : '');
    lines.push(`  ${WARN} ${opSigned.length} event${opSigned.length === 1 ? '' : 's'} signed with keys the log operator installed, not by the organisations themselves: ${list}`);
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
    const items = groupMoves(kids);
    items.forEach((it, i) => {
      const lastKid = i === items.length - 1 && !unspent;
      const h = `${cont}${lastKid ? '└─ ' : '├─ '}`;
      const c = `${cont}${lastKid ? '   ' : '│  '}`;
      if ('node' in it) render(it.node, it.flow, h, c);
      else renderGroup(it, h, c);
    });
    if (unspent) lines.push(`${cont}└─ ${unspent}`);
  };

  // A transfer between two funds of one owner (NodeResult.internal), verified, whose money
  // goes on through more such moves: drawn as one line, "moved between X's own funds N
  // times", then wherever the money went next. A long chain of bounces cannot bury a payment.
  const movable = (k: Kid) => k.node.type === 'transfer' && k.node.internal === true && k.node.ok && (k.flow?.ok ?? true) && !shown.has(k.node.event);
  function groupMoves(kids: Kid[]): Array<Kid | MoveGroup> {
    const out: Array<Kid | MoveGroup> = [];
    const groups = new Map<string, MoveGroup>();
    const taken = new Set<string>();
    for (const k of kids) {
      const org = k.node.signer?.org;
      if (!movable(k) || org === undefined || taken.has(k.node.event)) {
        out.push(k);
        continue;
      }
      let g = groups.get(org);
      if (!g) {
        g = { org, moves: [], value: 0n, exits: [], unspent: 0n, funds: new Set() };
        groups.set(org, g);
        out.push(g);
      }
      if (k.flow && /^[0-9]+$/.test(k.flow.value)) g.value += BigInt(k.flow.value);
      const queue = [k.node];
      taken.add(k.node.event);
      while (queue.length) {
        const m = queue.shift()!;
        g.moves.push(m);
        if (m.unspent !== undefined && /^[0-9]+$/.test(m.unspent) && m.unspent !== '0') {
          g.unspent += BigInt(m.unspent);
          g.funds.add(m.fund ?? '?');
        }
        for (const c of children.get(m.event) ?? []) {
          if (movable(c) && c.node.signer?.org === org && !taken.has(c.node.event)) {
            taken.add(c.node.event);
            queue.push(c.node);
          } else if (!taken.has(c.node.event)) {
            g.exits.push(c);
          }
        }
      }
    }
    // Short runs are clearer hop by hop.
    return out.flatMap((it) => ('org' in it && it.moves.length < COLLAPSE_MIN ? kids.filter((k) => k.node === it.moves[0]) : [it]));
  }
  function renderGroup(g: MoveGroup, head: string, cont: string) {
    const ms = [...g.moves].sort((a, b) => a.index - b.index);
    for (const m of ms) shown.add(m.event);
    const first = ms[0]!;
    const last = ms[ms.length - 1]!;
    lines.push(
      `${head}${OK} ${money(g.value.toString(), currency)} → moved between ${safeText(g.org)}'s own funds ${ms.length} times (${safeText(first.event)} … ${safeText(last.event)}) [#${first.index}…#${last.index}]`,
    );
    const exits = [...g.exits].sort((a, b) => a.node.index - b.node.index);
    const funds = [...g.funds];
    const unspent = g.unspent > 0n ? `unspent: ${money(g.unspent.toString(), currency)} still in ${safeText(g.org)}'s funds ${funds.slice(0, 5).map((f) => safeText(f)).join(', ')}${funds.length > 5 ? ', …' : ''}` : undefined;
    exits.forEach((k, i) => {
      const lastKid = i === exits.length - 1 && !unspent;
      render(k.node, k.flow, `${cont}${lastKid ? '└─ ' : '├─ '}`, `${cont}${lastKid ? '   ' : '│  '}`);
    });
    if (unspent) lines.push(`${cont}└─ ${unspent}`);
  }

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
