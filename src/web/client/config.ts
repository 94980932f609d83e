// Where the page is and what it was asked: the mode (served by the ledger server, or the
// static build), the ledger server to ask, the view, the donation, the pinned log key and
// the receipt secret (from the #fragment, which browsers never send to a server).
import { serverUrl } from '../../client/logtrust.ts';
import { keepPolicy, pagePolicy, type PagePolicy } from './witnesses.ts';
import { ID_RE } from '@cotc/ledger';

export type Mode = 'server' | 'static';
export type View = 'home' | 'donation' | 'log' | 'notfound';

export interface Route {
  mode: Mode;
  view: View;
  /** the ledger server (no trailing slash), or null when the static page has none yet */
  server: string | null;
  donation?: string;
  /** a log key given in the address (?key=), pinned */
  pinnedKey?: string;
  secret?: string;
  /** a gift of a batch (issue 15): its index or donor commitment, from the #fragment (gift=…) */
  gift?: string;
  /** the witness policy (?witness=…&quorum=…, or the static build's), issue 13 */
  policy?: PagePolicy;
  /** the policy came from the address (so links keep it) */
  policyInAddress?: boolean;
}

export { ID_RE };
const LAST_SERVER = 'cotc.lastServer';

export function pageMode(): Mode {
  const m = document.querySelector('meta[name="cotc-mode"]') as HTMLMetaElement | null;
  return m?.content === 'static' ? 'static' : 'server';
}

export function normalizeServer(url: string): string | null {
  try {
    const u = new URL(url.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.search || u.hash) return null;
    return serverUrl(u.origin + u.pathname);
  } catch {
    return null;
  }
}

export function lastServer(): string | null {
  try {
    return localStorage.getItem(LAST_SERVER);
  } catch {
    return null;
  }
}

export function setLastServer(server: string): void {
  try {
    localStorage.setItem(LAST_SERVER, server);
  } catch {
    // storage off: nothing remembered
  }
}

export function currentRoute(): Route {
  const mode = pageMode();
  const q = new URLSearchParams(location.search);
  const frag = new URLSearchParams(location.hash.replace(/^#/, ''));
  const secret = frag.get('secret') ?? undefined;
  const gift = frag.get('gift') ?? undefined;
  // A key pasted into the address as it is (name+hexid+base64) has its '+' read as spaces
  // by URLSearchParams (issue 12); a log key has no spaces, so they are put back.
  const pinnedKey = q.get('key')?.trim().replace(/ /g, '+') || undefined;
  const policy = pagePolicy(q);
  const policyInAddress = q.getAll('witness').length > 0;
  const w = policy ? { policy, policyInAddress } : {};
  if (mode === 'server') {
    const server = serverUrl(location.origin);
    const path = location.pathname.replace(/\/+$/, '') || '/';
    const m = /^\/donations\/([^/]+)$/.exec(path);
    if (path === '/') return { mode, view: 'home', server, pinnedKey, ...w };
    if (path === '/log') return { mode, view: 'log', server, pinnedKey, ...w };
    if (m) return { mode, view: 'donation', server, donation: safeDecode(m[1]!), pinnedKey, secret, gift, ...w };
    return { mode, view: 'notfound', server };
  }
  const given = q.get('server');
  const server = given ? normalizeServer(given) : lastServer();
  const donation = q.get('donation') ?? undefined;
  const view: View = !server ? 'home' : donation ? 'donation' : q.get('view') === 'log' ? 'log' : 'home';
  return { mode, view, server, donation, pinnedKey, secret, gift, ...w };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Links within the page, keeping the static page's server and pinned key. */
export function href(route: Route, to: { view: View; donation?: string; secret?: string; gift?: string }): string {
  const fq = new URLSearchParams();
  if (to.gift) fq.set('gift', to.gift);
  if (to.secret) fq.set('secret', to.secret);
  const frag = fq.toString() ? `#${fq.toString()}` : '';
  if (route.mode === 'server') {
    const kq = new URLSearchParams();
    if (route.pinnedKey) kq.set('key', route.pinnedKey);
    keepPolicy(kq, route.policy, route.policyInAddress === true);
    const keep = kq.toString() ? `?${kq.toString()}` : '';
    if (to.view === 'donation') return `/donations/${encodeURIComponent(to.donation ?? '')}${keep}${frag}`;
    if (to.view === 'log') return `/log${keep}`;
    return `/${keep}`;
  }
  const q = new URLSearchParams();
  if (route.server) q.set('server', route.server);
  if (route.pinnedKey) q.set('key', route.pinnedKey);
  keepPolicy(q, route.policy, route.policyInAddress === true);
  if (to.view === 'donation' && to.donation) q.set('donation', to.donation);
  if (to.view === 'log') q.set('view', 'log');
  const qs = q.toString();
  return `index.html${qs ? '?' + qs : ''}${frag}`;
}
