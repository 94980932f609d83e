// The page of one donation: fetches its trace bundle, verifies it here with @cotc/verify
// (trusting only the log key), and shows the verdict, the flow diagram, each step's
// details and every problem found.
import { fromBase64, hex, leafHash } from '@cotc/tlog';
import { fetchTraceBundle, isProblem, verifyBundle, type NodeResult, type Problem, type VerifyResult } from '@cotc/verify';
import { t } from '../strings.ts';
import { ApiError, consistencyProof, getJson } from './api.ts';
import { ID_RE, type Route } from './config.ts';
import { drawDiagram, fitToBox, money, nodeProblems, nodeTypeName, stateText, typeName, type Diagram } from './diagram.ts';
import { bundleFacts, collapseMoves, fundName, orgLabel, orgName, payeeName, stepStates, type BundleFacts, type PageNode } from './facts.ts';
import { clear, cut, h, u } from './dom.ts';
import { narrowScreen, num, timeEl } from './locale.ts';
import type { LNode } from './layout.ts';
import { rememberCheckpoint, resolveTrust, type Trust } from './trust.ts';
import { askKey, trustPanel } from './trustpanel.ts';
import { witnessBox, witnessOptions } from './witnesses.ts';
import { documentBox } from './document.ts';
import { GIFT_REF, giftMarks, giftPanel, giftShareOf, loadGift, type GiftMarks } from './gift.ts';
import type { GiftResult } from '@cotc/verify';

interface BundleEntry {
  index: number;
  data: string;
  proof?: { index?: unknown; size?: unknown; hashes?: unknown };
}

/** Statuses that say "not now" rather than "no" (as in `cotc verify`). */
const TRY_LATER = new Set([408, 429, 502, 503, 504]);

export function statusBox(kind: 'loading' | 'verified' | 'failed' | 'error' | 'choose' | 'mismatch', title: string, text: string): HTMLElement {
  const icon = kind === 'verified' ? '✓' : kind === 'loading' ? '…' : kind === 'choose' ? '⚠' : kind === 'mismatch' ? '?' : '✗';
  return h(
    'div',
    { id: 'status', class: `status status-${kind}`, role: 'status', 'aria-live': 'polite', 'data-status': kind },
    h('span', { class: 'status-icon', 'aria-hidden': 'true' }, icon),
    h('div', {}, h('strong', { class: 'status-title' }, title), h('p', {}, text)),
  );
}

/**
 * The key to check with: resolved from the address and this browser's memory; when a key
 * differs from the remembered one, the status says so and the person chooses (askKey)
 * before anything is fetched or changed.
 */
export async function trustFor(status: HTMLElement, server: string, pinned: string | undefined): Promise<Trust> {
  const r = await resolveTrust(server, pinned);
  if ('trust' in r) return r.trust;
  const wait = statusBox('choose', t('trust.conflict.waiting'), t('trust.conflict.status'));
  status.replaceWith(wait);
  const trust = await askKey(wait, r.conflict);
  wait.replaceWith(status);
  return trust;
}

/**
 * The whole trace bundle: every page followed and merged by @cotc/verify's
 * fetchTraceBundle (a big trace comes in pages against one checkpoint), or the Problem
 * (bad_pages, malformed_bundle) when the pages do not make one bundle.
 */
function fetchBundle(server: string, id: string): Promise<unknown> {
  return fetchTraceBundle((url) => getJson(url, ''), server, id);
}

export async function donationView(main: HTMLElement, route: Route): Promise<void> {
  const id = route.donation ?? '';
  const server = route.server!;
  clear(main);
  main.append(h('h1', {}, t('donation.title', { id: u(id, 140) })));
  if (!ID_RE.test(id)) {
    main.append(statusBox('failed', t('status.failed'), t('status.badId')));
    return;
  }
  const status = statusBox('loading', t('status.loading'), server);
  main.append(status);

  let trust: Trust;
  let bundle: unknown;
  try {
    trust = await trustFor(status, server, route.pinnedKey);
    bundle = await fetchBundle(server, id);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      status.replaceWith(statusBox('failed', t('status.notFound'), t('status.notFoundText', { id: u(id) })));
    } else if (e instanceof ApiError && e.status >= 400 && e.code !== 'http_error' && !TRY_LATER.has(e.status)) {
      // The server refuses to give this trace (e.g. 422 trace_too_large), as `cotc verify` says it: a failure with the reason.
      status.replaceWith(statusBox('failed', t('status.refused'), t('status.refusedText', { status: e.status, code: u(e.code, 64), reason: u(e.message, 500) })));
    } else {
      status.replaceWith(statusBox('error', t('status.error'), t('status.errorText', { reason: u((e as Error).message) })));
    }
    return;
  }

  if (isProblem(bundle)) {
    // The pages of the trace do not make one bundle: nothing on them is proven.
    status.replaceWith(statusBox('failed', t('status.failed'), t('status.failedText', { count: 1 })));
    main.append(problemList([bundle]));
    return;
  }

  let result: VerifyResult;
  try {
    result = await verifyBundle(bundle, {
    ...witnessOptions(route.policy),
    logKey: trust.key,
    donation: id,
    // a gift's receipt opens its gift record (gift.ts), not the batch
    receiptSecret: route.gift !== undefined ? undefined : route.secret || undefined,
    trusted: trust.trusted,
    consistency: (from, to) => consistencyProof(server, from, to),
  });
  } catch (e) {
    // A bad witness policy in the address (a key that does not parse, a quorum above the keys).
    status.replaceWith(statusBox('error', t('status.error'), t('status.errorText', { reason: u((e as Error).message) })));
    return;
  }
  const forked = result.problems.some((p) => p.code === 'inconsistent_checkpoint' || p.code === 'rollback' || p.code === 'consistency_unavailable');
  if (result.checkpoint && !forked && !result.problems.some((p) => p.code.startsWith('bad_checkpoint'))) {
    const text = (bundle as { checkpoint: string }).checkpoint;
    rememberCheckpoint(server, trust.key, { size: result.checkpoint.size, root: result.checkpoint.root, text });
  }

  const b = bundle as { entries?: BundleEntry[]; trace?: { currency?: string } };
  const currency = result.donation?.amount.currency ?? (typeof b.trace?.currency === 'string' ? b.trace.currency : '');
  const entries = new Map<number, BundleEntry>();
  for (const e of Array.isArray(b.entries) ? b.entries : []) if (e && typeof e.index === 'number') entries.set(e.index, e);

  // A wrong receipt secret is about the donor, not the path: its own calm state, never
  // "verification failed", when every step verified (issue 12).
  const pathProblems = result.problems.filter((p) => p.code !== 'receipt_mismatch');

  // issue 15: a gift of this batch, verified against the bundle just verified.
  let gift: GiftResult | undefined;
  if (route.gift !== undefined) {
    const ref = route.gift.toLowerCase();
    if (!GIFT_REF.test(ref)) {
      status.replaceWith(statusBox('failed', t('gift.status.notFound'), t('home.badGift')));
      return;
    }
    if (result.ok) {
      try {
        gift = await loadGift(server, id, ref, bundle, route.secret || undefined);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) status.replaceWith(statusBox('failed', t('gift.status.notFound'), t('gift.status.notFoundText', { gift: u(ref, 70), id: u(id) })));
        else status.replaceWith(statusBox('error', t('status.error'), t('status.errorText', { reason: u((e as Error).message) })));
        return;
      }
    }
  }
  const giftPath = gift ? gift.problems.filter((p) => p.code !== 'receipt_mismatch') : [];
  const size = num(result.checkpoint?.size ?? 0);
  status.replaceWith(
    gift && giftPath.length
      ? statusBox('failed', t('status.failed'), t('gift.status.failedText', { count: num(giftPath.length) }))
      : gift && result.ok && gift.receipt === 'mismatch'
        ? statusBox('mismatch', t('status.mismatch'), t('gift.receipt.mismatch'))
        : gift && result.ok
          ? statusBox('verified', t('status.verified'), t('gift.status.verifiedText', { size }))
          : result.ok
      ? statusBox('verified', t('status.verified'), t('status.verifiedText', { size: num(result.checkpoint?.size ?? 0) }))
      : pathProblems.length === 0 && result.receipt === 'mismatch'
        ? statusBox('mismatch', t('status.mismatch'), t('status.mismatchText', { size: num(result.checkpoint?.size ?? 0) }))
        : statusBox('failed', t('status.failed'), t('status.failedText', { count: num(pathProblems.length) })),
  );

  const facts = bundleFacts(bundle, result);
  const witnessed = witnessBox(result);
  if (witnessed) main.append(witnessed);
  main.append(summary(result, currency, route, facts, gift));
  if (gift) main.append(giftPanel(gift, facts, result.checkpoint?.size ?? 0));
  main.append(documentBox(result, (event) => event));
  const byOperator = operatorSignedBox(result, facts);
  if (byOperator) main.append(byOperator);
  if (pathProblems.length) main.append(problemList(pathProblems));
  main.append(diagramSection(collapseMoves(withGlobalProblems(result)), currency, id, entries, facts, gift ? giftMarks(gift) : undefined));
  main.append(trustPanel(route, trust, result, (bundle as { checkpoint?: unknown }).checkpoint));
}

/** Problems about the whole log (its checkpoint, or a fork), not about one step. */
export const GLOBAL_CODES = new Set(['bad_checkpoint_signature', 'bad_checkpoint', 'missing_witness', 'witness_quorum', 'inconsistent_checkpoint', 'rollback', 'consistency_unavailable']);

/**
 * The result as the diagram shows it: when the checkpoint itself is in doubt (not signed,
 * or not consistent with what this browser saw before), no step is shown as verified.
 */
function withGlobalProblems(result: VerifyResult): VerifyResult {
  const global = result.problems.filter((p) => GLOBAL_CODES.has(p.code));
  if (!global.length) return result;
  const msgs = global.map((p) => p.message);
  return {
    ...result,
    nodes: result.nodes.map((n) => ({ ...n, ok: false, problems: [...n.problems, ...msgs.filter((m) => !n.problems.includes(m))] })),
    flows: result.flows.map((f) => ({ ...f, ok: false })),
  };
}

function summary(result: VerifyResult, currency: string, route: Route, facts: BundleFacts, gift?: GiftResult): HTMLElement {
  const sec = h('section', { class: 'panel summary', 'aria-label': t('donation.amount') });
  const d = result.donation;
  if (d) {
    // This donation's money by what happened to it (issue 12): delivered (a verified
    // confirmation), paid but awaiting confirmation, still in a fund; or refunded.
    const states = stepStates(result);
    let delivered = 0n;
    let awaiting = 0n;
    let unspent = 0n;
    const big = (v: string | undefined) => (v !== undefined && /^[0-9]{1,30}$/.test(v) ? BigInt(v) : 0n);
    for (const n of result.nodes) {
      if (n.type === 'disbursement') {
        const st = states.get(n.event)?.kind;
        if (st === 'delivered') delivered += big(n.amount);
        else if (st === 'awaiting') awaiting += big(n.amount);
      }
      unspent += big(n.unspent);
    }
    const refunded = states.get(d.id)?.kind === 'refunded';
    const row = (k: string, v: string | Node | null, cls = '', id?: string) => [h('div', { class: 'fact', id: id ?? null }, h('dt', {}, k), h('dd', { class: cls }, v))];
    if (refunded) sec.append(h('p', { class: 'refunded', id: 'refunded', 'data-state': 'refunded' }, '↩ ', t('donation.refundedText', { amount: money(d.amount.value, d.amount.currency) })));
    sec.append(
      h(
        'dl',
        { class: 'facts' },
        ...row(t('donation.amount'), money(d.amount.value, d.amount.currency), 'big'),
        ...(refunded
          ? row(t('donation.state'), t('state.refunded'), 'big st-back', 'fact-refunded')
          : [
              ...row(t('donation.delivered'), money(delivered.toString(), currency), 'big st-ok', 'fact-delivered'),
              ...row(t('donation.awaiting'), money(awaiting.toString(), currency), 'big st-wait', 'fact-awaiting'),
              ...row(t('donation.unspent'), money(unspent.toString(), currency), 'big', 'fact-unspent'),
            ]),
        ...row(t('donation.channel'), channelText(d.channel)),
        ...row(t('donation.fund'), h('span', { title: u(d.fund) }, u(fundName(facts, d.fund)))),
        ...row(t('donation.org'), h('span', { title: u(d.org) }, u(orgName(facts, d.org)))),
        ...row(t('donation.time'), timeEl(d.time)),
        ...row(t('donation.seq'), `#${d.index}`),
      ),
    );
    const purpose = facts.funds.get(d.fund)?.purpose;
    if (purpose) sec.append(h('p', { class: 'fund-purpose', id: 'fund-purpose' }, h('strong', {}, t('donation.fundPurpose')), ' ', u(purpose, 4000)));
  }
  // a gift's receipt is answered in the gift panel; its form keeps the gift
  if (route.gift === undefined) sec.append(receiptBox(result, route));
  else if (!gift || gift.receipt !== 'matched') sec.append(receiptForm(route));
  return sec;
}

/** A batch's channel as the verifier gives it ("gift batch of N", issue 15) in the page's words. */
function channelText(channel: string): string {
  const m = /^gift batch of ([0-9]{1,9})$/.exec(channel);
  return m ? t('gift.batchOf', { count: num(m[1]!) }) : u(channel);
}

function receiptBox(result: VerifyResult, route: Route): HTMLElement {
  if (result.receipt === 'matched') return h('p', { id: 'receipt', class: 'receipt ok', 'data-receipt': 'matched' }, h('span', { 'aria-hidden': 'true' }, '✓ '), t('receipt.matched'));
  const box = h('div', { id: 'receipt', class: `receipt ${result.receipt === 'mismatch' ? 'bad' : 'none'}`, 'data-receipt': result.receipt ?? 'none' });
  if (result.receipt === 'mismatch') box.append(h('p', {}, h('span', { 'aria-hidden': 'true' }, '? '), t('receipt.mismatch')));
  else box.append(h('p', {}, t('receipt.notGiven')));
  box.append(receiptForm(route));
  return box;
}

/** The receipt form: only the fragment changes (never sent to a server); a gift's number stays in it. */
function receiptForm(route: Route): HTMLElement {
  const input = h('input', { id: 'receipt-input', name: 'secret', type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' });
  const form = h(
    'form',
    { class: 'inline-form' },
    h('label', { for: 'receipt-input' }, t('receipt.label')),
    input,
    h('button', { type: 'submit' }, t('receipt.submit')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const secret = input.value.trim();
    if (!secret) return;
    // Only the fragment changes (never sent to a server); main.ts re-verifies on hashchange.
    const q = new URLSearchParams();
    if (route.gift !== undefined) q.set('gift', route.gift);
    q.set('secret', secret);
    location.hash = q.toString();
  });
  return form;
}

function problemList(problems: Problem[]): HTMLElement {
  return h(
    'section',
    { id: 'problems', class: 'panel problems', 'aria-labelledby': 'problems-title' },
    h('h2', { id: 'problems-title' }, '✗ ', t('problems.title')),
    h(
      'ul',
      {},
      ...problems.slice(0, 200).map((p) =>
        h(
          'li',
          {},
          h('code', { class: 'code' }, p.code),
          ' ',
          u(p.message, 600),
          p.index !== undefined ? h('span', { class: 'muted' }, ` (${t('problems.at', { index: p.index })})`) : null,
        ),
      ),
    ),
  );
}

/**
 * The steps signed with a key the log operator installed for their org (issue 9): said in
 * words, above the diagram, whatever else the page shows.
 */
function operatorSignedBox(result: VerifyResult, facts: BundleFacts): HTMLElement | null {
  const ids = result.operatorSigned ?? [];
  if (!ids.length) return null;
  const byId = new Map(result.nodes.map((n) => [n.event, n]));
  return h(
    'section',
    { id: 'operator-signed', class: 'panel warn', role: 'note', 'aria-labelledby': 'operator-title', 'data-count': ids.length },
    h('h2', { id: 'operator-title' }, '⚠ ', t('operator.title')),
    h('p', {}, t('operator.text', { count: ids.length })),
    h(
      'ul',
      {},
      ...ids.slice(0, 50).map((e) => {
        const org = byId.get(e)?.signer?.org;
        return h('li', { 'data-event': e }, t('operator.item', { event: u(e), org: org ? u(orgLabel(facts, org)) : '?' }));
      }),
      ids.length > 50 ? h('li', {}, t('details.movesMore', { count: ids.length - 50 })) : null,
    ),
  );
}

function diagramSection(result: VerifyResult, currency: string, id: string, entries: Map<number, BundleEntry>, facts: BundleFacts, mine?: GiftMarks): HTMLElement {
  const sec = h('section', { class: 'panel diagram-panel', 'aria-labelledby': 'diagram-title' });
  sec.append(
    h('h2', { id: 'diagram-title' }, t('diagram.title')),
    h('p', { class: 'muted wide-only' }, t('diagram.desc')),
    h('p', { class: 'muted narrow-only' }, t('diagram.descPhone')),
  );
  sec.append(
    h(
      'ul',
      { class: 'legend' },
      h('li', { class: 'lg-ok' }, h('span', { class: 'sw sw-ok', 'aria-hidden': 'true' }), '✓ ', t('diagram.legend.ok')),
      h('li', { class: 'lg-bad' }, h('span', { class: 'sw sw-bad', 'aria-hidden': 'true' }), '✗ ', t('diagram.legend.bad')),
      h('li', { class: 'lg-wait' }, '◷ ', t('diagram.legend.awaiting')),
      h('li', {}, h('span', { class: 'sw sw-unspent', 'aria-hidden': 'true' }), t('diagram.legend.unspent')),
      h('li', {}, h('span', { class: 'sw sw-confirms', 'aria-hidden': 'true' }), t('diagram.legend.confirms')),
    ),
  );
  const details = h(
    'section',
    { id: 'details', class: 'details', 'aria-live': 'polite', 'aria-labelledby': 'details-title' },
    h('h3', { id: 'details-title' }, t('details.title')),
    h('p', { class: 'muted' }, t('details.placeholder')),
  );
  if (!result.nodes.length) {
    sec.append(h('p', {}, t('diagram.empty')));
    return sec;
  }
  const diagram: Diagram = drawDiagram(
    result,
    currency,
    id,
    {
      onSelect(key, ln) {
        diagram.select(key);
        showDetails(details, ln, result, currency, entries, facts);
        details.scrollIntoView({ block: 'nearest' });
      },
    },
    facts,
    mine,
  );
  const scroller = h('div', { class: 'diagram-scroll wide-only', id: 'diagram' });
  scroller.append(diagram.svg);
  // Below 600 px the path is drawn top to bottom (app.css shows one or the other) and the
  // list is open: nothing scrolls sideways on a phone (issue 12).
  const vertical = h('div', { class: 'vdiagram narrow-only', id: 'vdiagram' }, diagram.vertical);
  sec.append(scroller, vertical, details, pathList(result, currency, facts, mine));
  // Once in the document (text can be measured and the box has a width).
  queueMicrotask(() => {
    diagram.fit();
    fitToBox(diagram.svg, scroller, diagram.layout);
  });
  return sec;
}

/** The path as a list, in words: open by default on a phone (issue 12). */
function pathList(result: VerifyResult, currency: string, facts: BundleFacts, mine?: GiftMarks): HTMLElement {
  const d = h('details', { class: 'path-list', id: 'path-list', open: narrowScreen() }, h('summary', {}, t('list.title')));
  const states = stepStates(result);
  const ol = h('ol');
  for (const n of result.nodes as PageNode[]) {
    const st = n.ok ? t('diagram.ok') : `✗ ${n.problems.map((p) => u(p, 200)).join(' · ')}`;
    const fund = n.fund !== undefined && n.type !== 'disbursement' ? facts.funds.get(n.fund) : undefined;
    const what = stateText(states.get(n.event), facts);
    const where =
      n.type === 'disbursement' && n.payee
        ? t('diagram.toPayee', { payee: u(payeeName(facts, n)) })
        : n.type === 'confirmation' && n.signer
          ? t('diagram.by', { org: u(orgName(facts, n.signer.org)) })
          : n.fund
            ? t('diagram.toFund', { fund: u(fundName(facts, n.fund)) })
            : '';
    ol.append(
      h(
        'li',
        { class: n.ok ? 'ok' : 'bad', 'data-event': n.event, 'data-state': states.get(n.event)?.kind ?? null },
        h('strong', {}, nodeTypeName(n)),
        n.amount && n.type !== 'confirmation' ? ` ${money(n.amount, currency)}` : '',
        where ? ` ${where}` : '',
        fund?.restricted ? h('span', { class: 'restricted' }, ` (${t('diagram.restricted', { purpose: u(fund.purpose, 2000) })})`) : null,
        n.type === 'transfer' && n.internal && n.signer ? ` (${t('diagram.internalBy', { org: u(orgName(facts, n.signer.org)) })})` : '',
        n.type === 'disbursement' && n.purpose ? h('span', { class: 'purpose' }, ` — ${u(n.purpose, 2000)}`) : null,
        n.unspent && n.unspent !== '0' ? ` (${t('state.inFund', { fund: u(fundName(facts, n.fund ?? '')) })}: ${money(n.unspent, currency)})` : '',
        n.signer?.installedBy === 'operator' ? h('span', { class: 'operator-signed' }, ` ${t('diagram.operatorKey')}`) : null,
        what ? h('span', { class: `state ${what.cls}` }, ` ${what.text}`) : null,
        mine ? giftLine(mine, n, result, currency) : null,
        ' ',
        h('span', { class: n.ok ? 'st-ok' : 'st-bad' }, st),
      ),
    );
  }
  d.append(ol);
  return d;
}

function giftLine(mine: GiftMarks, n: PageNode, result: VerifyResult, currency: string): HTMLElement | null {
  const v = giftShareOf(mine, n.event, n.type, result.flows);
  if (v === null) return null;
  return h('span', { class: 'gift-share', 'data-share': v }, ` · ${n.type === 'gift.batch' ? t('gift.yourGift', { amount: money(v, currency) }) : t('gift.yourShare', { amount: money(v, currency) })}`);
}

function showDetails(box: HTMLElement, ln: LNode, result: VerifyResult, currency: string, entries: Map<number, BundleEntry>, facts: BundleFacts): void {
  clear(box);
  if (ln.kind === 'unspent') {
    box.append(h('h3', { id: 'details-title' }, t('diagram.unspent'), ' — ', money(ln.value!.toString(), currency)));
    box.append(h('p', {}, t('details.unspentNode', { fund: u(fundName(facts, ln.holder?.fund ?? '')) })));
    return;
  }
  const n = ln.node! as PageNode;
  box.dataset.event = n.event;
  box.append(h('h3', { id: 'details-title' }, nodeTypeName(n), ' ', h('code', {}, u(n.event))));
  const fname = (f: string | undefined) => (f === undefined ? '?' : u(fundName(facts, f)));
  if (n.moves) {
    const ms = n.moves.events;
    const org = u(orgLabel(facts, n.moves.org));
    box.append(
      h('p', { class: 'st-ok', id: 'moves-text' }, t('details.moves', { count: num(ms.length), org, first: u(ms[0]!.event), firstIndex: ms[0]!.index, last: u(ms[ms.length - 1]!.event), lastIndex: ms[ms.length - 1]!.index })),
      h('h4', {}, t('details.movesList')),
      h(
        'ol',
        { class: 'moves' },
        ...ms.slice(0, 100).map((m) => h('li', {}, h('code', {}, u(m.event)), ` #${m.index}: ${fname(m.from)} → ${fname(m.fund)}`)),
        ms.length > 100 ? h('li', {}, t('details.movesMore', { count: num(ms.length - 100) })) : null,
      ),
    );
    return;
  }
  box.append(h('p', { class: n.ok ? 'st-ok' : 'st-bad' }, n.ok ? t('details.status.ok') : t('details.status.bad')));
  const what = stateText(stepStates(result).get(n.event), facts);
  if (what) box.append(h('p', { class: `state ${what.cls}`, id: 'details-state' }, what.text));
  const dl = h('dl', { class: 'kv' });
  const row = (k: string, v: string | Node | null | undefined, cls = '') => {
    if (v === undefined || v === null || v === '') return;
    dl.append(h('dt', {}, k), h('dd', { class: cls }, v));
  };
  row(t('details.type'), typeName(n.type));
  row(t('details.id'), h('code', {}, u(n.event)));
  row(t('details.seq'), `#${n.index}`);
  row(
    t('details.signer'),
    !n.signer
      ? t('details.unsigned')
      : n.signer.installedBy === 'operator'
        ? h('span', { class: 'operator-signed', id: 'signer-operator' }, '⚠ ', t('details.signerOperator', { org: u(orgLabel(facts, n.signer.org)) }))
        : u(orgLabel(facts, n.signer.org)),
  );
  if (n.signer) row(t('details.signerKey'), h('code', { class: 'hash' }, u(n.signer.key)));
  row(t('details.time'), timeEl(n.time));
  row(t('details.loggedAt'), timeEl(n.loggedAt));
  row(t('details.share'), n.amount && money(n.amount, currency));
  if (n.eventAmount) row(t('details.eventAmount'), money(n.eventAmount.value, n.eventAmount.currency));
  row(t('details.from'), n.from && fname(n.from));
  row(t('details.fund'), n.fund && fname(n.fund));
  const fund = n.fund !== undefined && n.type !== 'disbursement' ? facts.funds.get(n.fund) : undefined;
  if (fund?.restricted) row(t('details.restricted'), t('details.restrictedText', { purpose: u(fund.purpose, 4000) }), 'restricted');
  if (n.type === 'transfer' && n.internal && n.signer) row(t('type.internal'), t('details.internal', { org: u(orgName(facts, n.signer.org)) }));
  if (n.unspent && n.unspent !== '0') row(t('details.unspent'), money(n.unspent, currency));
  row(t('details.payee'), n.payee && u(payeeName(facts, n)));
  row(t('details.purpose'), n.purpose && u(n.purpose, 4000), 'purpose');
  row(t('details.memo'), n.memo && u(n.memo, 4000));
  row(t('details.statement'), n.statement && u(n.statement, 4000));
  row(t('details.confirms'), n.confirms && h('code', {}, u(n.confirms)));
  row(t('details.reverses'), n.reverses && h('code', {}, u(n.reverses)));
  row(t('details.reason'), n.reason && u(n.reason, 4000));
  box.append(dl);
  const docs = (title: string, list: Array<{ name: string; sha256: string }> | undefined) => {
    if (!list || !list.length) return;
    box.append(h('h4', {}, title), h('ul', { class: 'docs' }, ...list.map((d) => h('li', {}, h('span', { class: 'doc-name' }, u(d.name)), h('code', { class: 'hash' }, 'sha256 ', u(d.sha256, 80))))));
  };
  docs(t('details.receipts'), n.receipts);
  docs(t('details.evidence'), n.evidence);
  box.append(proofBlock(entries.get(n.index)));
  if (!n.ok) {
    const mine = nodeProblems(n, result.problems);
    const said = new Set(mine.map((p) => p.message));
    box.append(
      h('h4', { class: 'st-bad' }, t('details.problems')),
      h(
        'ul',
        { class: 'node-problems' },
        ...mine.map((p) => h('li', {}, h('code', { class: 'code' }, p.code), ' ', u(p.message, 600))),
        ...n.problems.filter((m) => !said.has(m)).map((m) => h('li', {}, u(m, 600))),
      ),
    );
  }
}

function proofBlock(e: BundleEntry | undefined): HTMLElement {
  const wrap = h('div', { class: 'proof' }, h('h4', {}, t('details.proof')));
  const p = e?.proof;
  if (!e || !p || !Array.isArray(p.hashes)) {
    wrap.append(h('p', {}, t('details.noProof')));
    return wrap;
  }
  let leaf = '?';
  try {
    leaf = hex(leafHash(fromBase64(e.data)));
  } catch {
    // shown as ?
  }
  const hashes = (p.hashes as unknown[]).slice(0, 64).map((x) => u(x, 80));
  wrap.append(
    h('p', {}, t('details.proofText', { index: u(p.index, 20), size: u(p.size, 20), leaf: cut(leaf, 64), count: hashes.length })),
    h('ol', { class: 'hashes', start: 0 }, ...hashes.map((x) => h('li', {}, h('code', { class: 'hash' }, x)))),
  );
  return wrap;
}

export type { NodeResult };
