// The home page: find a donation by id (and receipt secret); on the static verifier also
// choose the ledger server and pin its log key.
import { GIFT_REF } from './gift.ts';
import { t } from '../strings.ts';
import { getJson } from './api.ts';
import { ID_RE, href, normalizeServer, setLastServer, type Route } from './config.ts';
import { money } from './diagram.ts';
import { clear, h, u } from './dom.ts';
import { checkKey, loadState } from './trust.ts';
import { serverLog } from '../../client/logtrust.ts';

export interface DonationRow {
  id: string;
  fund: string;
  amount: { currency: string; value: string };
  index: number;
}

function field(id: string, label: string, hint: string, attrs: Record<string, string>): { wrap: HTMLElement; input: HTMLInputElement; error: HTMLElement } {
  const input = h('input', { id, name: id, type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', 'aria-describedby': `${id}-hint ${id}-error`, ...attrs });
  const error = h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' });
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input, h('p', { id: `${id}-hint`, class: 'hint' }, hint), error);
  return { wrap, input, error };
}

export function donationList(route: Route, rows: DonationRow[], id = 'recent'): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted' }, t('log.noDonations'));
  return h(
    'ol',
    { class: 'donation-list', id },
    ...rows.map((d) =>
      h(
        'li',
        {},
        h('a', { href: href(route, { view: 'donation', donation: d.id }) }, u(d.id)),
        h('span', { class: 'amt' }, money(d.amount?.value, d.amount?.currency ?? '')),
        h('span', { class: 'fund muted' }, u(d.fund)),
        h('span', { class: 'seq muted' }, `#${u(d.index, 20)}`),
      ),
    ),
  );
}

export async function homeView(main: HTMLElement, route: Route): Promise<void> {
  clear(main);
  main.append(h('h1', {}, t('home.title')), h('p', { class: 'lead' }, t('home.intro')));
  const form = h('form', { class: 'panel search-form', id: 'find', novalidate: true });
  const server = route.mode === 'static' ? field('server', t('home.server'), t('home.serverHint'), { type: 'url', value: route.server ?? '', placeholder: 'https://' }) : null;
  const remembered = route.server ? serverLog(loadState(), route.server)?.record.logKey : undefined;
  const key = route.mode === 'static' ? field('key', t('home.key'), t('home.keyHint'), { value: route.pinnedKey ?? remembered ?? '' }) : null;
  const donation = field('donation-id', t('home.donation'), t('home.donationHint'), { required: 'true' });
  const gift = field('gift-number', t('home.gift'), t('home.giftHint'), { inputmode: 'numeric' });
  const secret = field('receipt-secret', t('home.secret'), t('home.secretHint'), {});
  if (server) form.append(server.wrap);
  if (key) form.append(key.wrap);
  form.append(donation.wrap, gift.wrap, secret.wrap, h('button', { type: 'submit', class: 'primary' }, t('home.submit')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let ok = true;
    for (const f of [server, key, donation, gift]) if (f) f.error.textContent = '';
    const id = donation.input.value.trim();
    if (!ID_RE.test(id)) {
      donation.error.textContent = t('home.badId');
      ok = false;
    }
    const giftRef = gift.input.value.trim().toLowerCase();
    if (giftRef && !GIFT_REF.test(giftRef)) {
      gift.error.textContent = t('home.badGift');
      ok = false;
    }
    let srv = route.server;
    let pinned = route.pinnedKey;
    if (server) {
      srv = normalizeServer(server.input.value);
      if (!srv) {
        server.error.textContent = t('home.badServer');
        ok = false;
      }
    }
    if (key) {
      const k = key.input.value.trim();
      pinned = k || undefined;
      if (k) {
        try {
          checkKey(k);
        } catch (err) {
          key.error.textContent = t('home.badKey', { reason: (err as Error).message });
          ok = false;
        }
      }
    }
    if (!ok) return;
    if (route.mode === 'static' && srv) setLastServer(srv);
    location.href = href({ ...route, server: srv, pinnedKey: pinned }, { view: 'donation', donation: id, secret: secret.input.value.trim() || undefined, gift: giftRef || undefined });
  });
  main.append(form);

  if (!route.server) {
    main.append(h('p', { class: 'muted' }, t('home.noServer')));
    return;
  }
  const recent = h('section', { class: 'panel', 'aria-labelledby': 'recent-title' }, h('h2', { id: 'recent-title' }, t('home.recent')), h('p', { class: 'muted' }, t('loading')));
  main.append(recent);
  try {
    const r = await getJson<{ donations?: DonationRow[] }>(route.server, '/v1/donations?limit=8');
    recent.lastChild!.replaceWith(donationList(route, Array.isArray(r.donations) ? r.donations : []));
  } catch (e) {
    recent.lastChild!.replaceWith(h('p', { class: 'st-bad' }, t('status.errorText', { reason: u((e as Error).message) })));
  }
}
