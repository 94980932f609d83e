// The page of the log itself: its size and latest checkpoint (verified with the trusted log
// key, and checked consistent with the last one this browser saw), witnesses, recent
// donations, and a search by event id whose answer is checked with its inclusion proof.
import { fromBase64, fromHex, leafHash, verifyInclusion } from '@cotc/tlog';
import { parseIJsonBytes, validateEntryShape, type Entry } from '@cotc/ledger';
import { checkConsistency, openCheckpoint, readCheckpoint, type Problem } from '@cotc/verify';
import { t } from '../strings.ts';
import { ApiError, consistencyProof, getJson, getText } from './api.ts';
import { ID_RE, href, type Route } from './config.ts';
import { money, typeName } from './diagram.ts';
import { clear, h, u } from './dom.ts';
import { donationList, type DonationRow } from './home.ts';
import { num, timeEl } from './locale.ts';
import { rememberCheckpoint, type Trust } from './trust.ts';
import { consistencyText, keyBlock, otherSigners, servedNote } from './trustpanel.ts';
import { statusBox, trustFor } from './donation.ts';
import { checkpointPolicy, witnessText } from './witnesses.ts';

export async function logView(main: HTMLElement, route: Route): Promise<void> {
  const server = route.server!;
  clear(main);
  main.append(h('h1', {}, t('log.title')), h('p', { class: 'lead' }, t('log.intro')));
  const status = statusBox('loading', t('loading'), server);
  main.append(status);
  let trust: Trust;
  let info: { origin?: unknown; size?: unknown; key?: unknown };
  let note: string;
  try {
    trust = await trustFor(status, server, route.pinnedKey);
    [info, note] = await Promise.all([getJson<typeof info>(server, '/v1/log'), getText(server, '/checkpoint')]);
  } catch (e) {
    status.replaceWith(statusBox('error', t('status.error'), t('status.errorText', { reason: u((e as Error).message) })));
    return;
  }
  let read: ReturnType<typeof readCheckpoint>;
  try {
    read = readCheckpoint(note, trust.key, checkpointPolicy(route.policy));
  } catch (e) {
    // A bad witness policy in the address (issue 13).
    status.replaceWith(statusBox('error', t('status.error'), t('status.errorText', { reason: u((e as Error).message) })));
    return;
  }
  let problems: Problem[] = [];
  let size: number | null = null;
  if (read.ok) {
    size = read.checkpoint.size;
    problems = await checkConsistency(trust.trusted, { size: read.checkpoint.size, root: fromHex(read.checkpoint.root) }, (a, b) => consistencyProof(server, a, b));
    if (!problems.length) rememberCheckpoint(server, trust.key, read.checkpoint);
  } else {
    problems = read.problems;
  }
  status.remove();

  const panel = h('section', { class: 'panel', 'aria-labelledby': 'cp-title' });
  panel.append(
    h('div', { class: 'stat-row' },
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, t('log.size')), h('span', { class: 'stat-value', id: 'log-size' }, size === null ? '—' : num(size))),
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, t('log.origin')), h('span', { class: 'stat-value small' }, u(info.origin, 120))),
    ),
    h('h2', { id: 'cp-title' }, t('log.checkpoint')),
    read.ok
      ? h('p', { class: 'st-ok', id: 'checkpoint-status', 'data-ok': 'true' }, t('log.checkpointOk'))
      : h('p', { class: 'st-bad', id: 'checkpoint-status', 'data-ok': 'false' }, t('log.checkpointBad', { reason: read.problems.map((p) => `${p.code}: ${u(p.message)}`).join('; ') })),
    h('pre', { class: 'note-text', id: 'checkpoint-text' }, note.slice(0, 4000).split('\n').map((l) => u(l, 400)).join('\n')),
  );
  if (typeof info.key === 'string' && info.key !== trust.key) panel.append(h('p', { class: 'warn' }, '⚠ ', t('log.keyChanged', { now: u(info.key, 200) })));
  panel.append(
    servedNote(route),
    h('dl', { class: 'kv' },
      ...keyBlock(route, trust),
      h('dt', {}, t('trust.consistency')),
      read.ok ? consistencyText(trust, problems, size) : h('dd', { class: 'st-bad' }, t('trust.checkpointBad')),
      h('dt', {}, t('trust.witnesses')),
      h('dd', { id: 'witnesses' }, witnessText(read) ?? t('trust.noWitnesses'), ...(read.witnesses ? [] : otherSigners(note, trust.key)).map((n) => h('p', { class: 'muted' }, t('trust.witnessSigs', { names: n })))),
    ),
  );
  main.append(panel);

  main.append(searchPanel(route, trust));

  const recent = h('section', { class: 'panel', 'aria-labelledby': 'recent-title' }, h('h2', { id: 'recent-title' }, t('log.recent')), h('p', { class: 'muted' }, t('loading')));
  main.append(recent);
  try {
    const r = await getJson<{ donations?: DonationRow[] }>(server, '/v1/donations?limit=20');
    recent.lastChild!.replaceWith(donationList(route, Array.isArray(r.donations) ? r.donations : []));
  } catch (e) {
    recent.lastChild!.replaceWith(h('p', { class: 'st-bad' }, t('status.errorText', { reason: u((e as Error).message) })));
  }
}

function searchPanel(route: Route, trust: Trust): HTMLElement {
  const input = h('input', { id: 'event-id', name: 'event', type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' });
  const out = h('div', { id: 'event-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'inline-form', role: 'search' }, h('label', { for: 'event-id' }, t('log.searchLabel')), input, h('button', { type: 'submit' }, t('log.searchSubmit')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = input.value.trim();
    clear(out);
    if (!ID_RE.test(id)) {
      out.append(h('p', { class: 'st-bad' }, t('home.badId')));
      return;
    }
    void findEvent(route, trust, id, out);
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'search-title' }, h('h2', { id: 'search-title' }, t('log.search')), form, out);
}

async function findEvent(route: Route, trust: Trust, id: string, out: HTMLElement): Promise<void> {
  out.append(h('p', { class: 'muted' }, t('loading')));
  let r: { entry?: { index?: unknown; data?: unknown }; proof?: { index?: unknown; size?: unknown; hashes?: unknown }; checkpoint?: unknown };
  try {
    r = await getJson(route.server!, `/v1/events/${encodeURIComponent(id)}`);
  } catch (e) {
    clear(out);
    out.append(h('p', { class: 'st-bad' }, e instanceof ApiError && e.status === 404 ? t('log.searchNotFound', { id: u(id) }) : t('status.errorText', { reason: u((e as Error).message) })));
    return;
  }
  clear(out);
  const index = r.entry?.index;
  let why = '';
  let entry: Entry | null = null;
  let size = 0;
  try {
    const opened = openCheckpoint(r.checkpoint, trust.key);
    if (!opened.checkpoint) throw new Error(opened.problems.map((p) => p.message).join('; '));
    size = opened.checkpoint.size;
    if (typeof index !== 'number' || typeof r.entry?.data !== 'string') throw new Error('the answer has no entry');
    const bytes = fromBase64(r.entry.data);
    const hashes = Array.isArray(r.proof?.hashes) ? (r.proof!.hashes as string[]).map((x) => fromHex(x)) : [];
    if (r.proof?.index !== index || r.proof?.size !== size || !verifyInclusion(leafHash(bytes), index, size, hashes, opened.checkpoint.root)) {
      throw new Error('its bytes and inclusion proof do not lead to the checkpoint’s root');
    }
    const shape = validateEntryShape(parseIJsonBytes(bytes));
    if (!shape.ok) throw new Error(shape.message);
    entry = shape.entry;
    if (entry.event.id !== id) throw new Error(`the entry is event ${entry.event.id}, not ${id}`);
  } catch (e) {
    why = (e as Error).message;
  }
  if (!entry || why) {
    out.append(h('p', { class: 'st-bad', 'data-proven': 'false' }, t('log.searchUnproven', { index: u(index, 20), reason: u(why, 400) })));
    return;
  }
  const ev = entry.event;
  const body = ev.body as unknown as Record<string, unknown>;
  const amount = body.amount as { currency: string; value: string } | undefined;
  out.append(
    h('p', { class: 'st-ok', 'data-proven': 'true' }, t('log.searchProven', { index: entry.seq, size: num(size) })),
    h('dl', { class: 'kv' },
      h('dt', {}, t('details.type')), h('dd', {}, typeName(ev.type)),
      h('dt', {}, t('details.id')), h('dd', {}, h('code', {}, u(ev.id))),
      h('dt', {}, t('details.signer')), h('dd', {}, u(ev.org)),
      h('dt', {}, t('details.time')), h('dd', {}, timeEl(ev.time)),
      h('dt', {}, t('details.loggedAt')), h('dd', {}, timeEl(entry.time)),
      ...(amount ? [h('dt', {}, t('donation.amount')), h('dd', {}, money(amount.value, amount.currency))] : []),
    ),
    h('pre', { class: 'note-text' }, JSON.stringify(ev.body, null, 2).slice(0, 4000).split('\n').map((l) => u(l, 1200)).join('\n')),
    h('p', { class: 'muted' }, t('log.searchSigNote')),
  );
  if (ev.type === 'donation') out.append(h('p', {}, h('a', { href: href(route, { view: 'donation', donation: ev.id }) }, t('log.openDonation'))));
}
