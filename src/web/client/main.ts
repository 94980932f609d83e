// The donor page's entry point (bundled by src/web/build.ts): reads the route, draws the
// navigation and the view. Works the same served by the ledger (`cotc serve`) or as the
// static verifier (dist/web/index.html, hosted anywhere or opened from disk).
import { t } from '../strings.ts';
import { currentRoute, href, setLastServer, type Route } from './config.ts';
import { clear, h } from './dom.ts';
import { donationView } from './donation.ts';
import { homeView } from './home.ts';
import { logView } from './log.ts';
import { chooseLanguage, languageSwitcher } from './locale.ts';

function nav(route: Route): void {
  const el = document.getElementById('nav');
  if (!el) return;
  clear(el);
  const link = (view: 'home' | 'log', label: string) =>
    h('a', { href: href(route, { view }), 'aria-current': route.view === view ? 'page' : null }, label);
  el.append(link('home', t('nav.home')));
  if (route.server) el.append(link('log', t('nav.log')));
  document.getElementById('lang')?.remove();
  el.after(languageSwitcher());
}

/** The shell's own words (html.ts writes them in English) in the chosen language. */
function shellTexts(): void {
  const set = (sel: string, text: string) => {
    const e = document.querySelector(sel);
    if (e) e.textContent = text;
  };
  set('.brand', t('app.name'));
  set('.skip', t('nav.skip'));
  set('.foot p', t('footer.text'));
  document.getElementById('nav')?.setAttribute('aria-label', t('app.name'));
}

async function render(): Promise<void> {
  const main = document.getElementById('main');
  if (!main) return;
  const route = currentRoute();
  chooseLanguage();
  shellTexts();
  if (route.mode === 'static' && route.server) setLastServer(route.server);
  nav(route);
  document.title = t('app.name');
  try {
    if (route.view === 'donation') {
      document.title = `${route.donation} — ${t('app.name')}`;
      await donationView(main, route);
    } else if (route.view === 'log') {
      document.title = `${t('log.title')} — ${t('app.name')}`;
      await logView(main, route);
    } else if (route.view === 'home') {
      await homeView(main, route);
    } else {
      clear(main);
      main.append(h('h1', {}, t('notFound.title')), h('p', {}, t('notFound.text')), h('p', {}, h('a', { href: href(route, { view: 'home' }) }, t('nav.home'))));
    }
  } catch (e) {
    // A bug of ours: say so rather than leave the page half drawn.
    main.append(h('p', { class: 'st-bad', role: 'alert' }, String((e as Error)?.message ?? e)));
    console.error(e);
  }
}

window.addEventListener('hashchange', () => void render());
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void render());
else void render();
