// The viewer's language and how numbers, amounts and times are written in it (issue 12).
// The language: `?lang=` in the address (then remembered), else the one remembered, else
// the first of navigator.languages the page has a table for, else English. Amounts go
// through Intl.NumberFormat with the currency's ISO 4217 minor-unit digits (as
// @cotc/ledger's currencyDecimals), so zh-CN writes ¥35.45, en CN¥35.45, th ฿ for THB;
// times through Intl.DateTimeFormat in the viewer's time zone, with UTC on hover.
import { currencyDecimals, formatAmount } from '@cotc/ledger';
import { LANGS, language, matchLanguage, setLanguage, t, type Lang } from '../strings.ts';
import { h, u } from './dom.ts';

const REMEMBERED = 'cotc.lang';

function remembered(): string | null {
  try {
    return localStorage.getItem(REMEMBERED);
  } catch {
    return null;
  }
}

/** Picks and sets the page's language; a valid ?lang= is remembered for later visits. */
export function chooseLanguage(search: string = location.search): Lang {
  const asked = new URLSearchParams(search).get('lang');
  const fromAddress = asked ? matchLanguage(asked) : null;
  if (fromAddress) {
    try {
      localStorage.setItem(REMEMBERED, fromAddress);
    } catch {
      // storage off: the address still decides this visit
    }
  }
  const navs = typeof navigator !== 'undefined' ? (navigator.languages?.length ? navigator.languages : [navigator.language]) : [];
  let lang: Lang = fromAddress ?? matchLanguage(remembered() ?? '') ?? 'en';
  if (!fromAddress && !matchLanguage(remembered() ?? '')) {
    for (const l of navs) {
      const m = l ? matchLanguage(l) : null;
      if (m) {
        lang = m;
        break;
      }
    }
  }
  setLanguage(lang);
  document.documentElement.lang = lang;
  return lang;
}

/** The address of this page in another language (the rest of the address kept). */
export function languageHref(lang: Lang): string {
  const q = new URLSearchParams(location.search);
  q.set('lang', lang);
  return `${location.pathname}?${q.toString()}${location.hash}`;
}

/** The switcher: each language by its own name, the current one marked. */
export function languageSwitcher(): HTMLElement {
  const cur = language();
  return h(
    'nav',
    { id: 'lang', class: 'langs', 'aria-label': t('lang.label') },
    ...LANGS.map((l) =>
      h('a', { href: languageHref(l.code), hreflang: l.code, lang: l.code, 'data-lang': l.code, 'aria-current': l.code === cur ? 'true' : null }, l.name),
    ),
  );
}

/** Minor units as a decimal string of major units ("3545", 2 digits → "35.45"). */
export function majorUnits(value: string, digits: number): string {
  if (digits === 0) return value.replace(/^0+(?=[0-9])/, '');
  const v = value.padStart(digits + 1, '0');
  return `${v.slice(0, -digits).replace(/^0+(?=[0-9])/, '')}.${v.slice(-digits)}`;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** An amount as the viewer's language writes it; anything malformed is shown escaped as it is. */
export function money(value: string | undefined | null, currency: string): string {
  if (value === undefined || value === null) return '';
  if (!/^[0-9]{1,40}$/.test(value) || !/^[A-Z]{3}$/.test(currency)) return `${u(value, 40)} ${u(currency, 8)}`;
  const digits = currencyDecimals(currency);
  const key = `${language()}|${currency}`;
  try {
    let f = moneyFormats.get(key);
    if (!f) {
      f = new Intl.NumberFormat(language(), { style: 'currency', currency, currencyDisplay: 'symbol', minimumFractionDigits: digits, maximumFractionDigits: digits });
      moneyFormats.set(key, f);
    }
    // A decimal string is formatted exactly (Intl.NumberFormat v3), never through a float.
    return f.format(majorUnits(value, digits) as unknown as number);
  } catch {
    return formatAmount({ currency, value });
  }
}

/** A count as the viewer's language writes it. */
export function num(n: number | string): string {
  const x = typeof n === 'number' ? n : Number(n);
  if (!Number.isFinite(x)) return u(n, 40);
  return new Intl.NumberFormat(language()).format(x);
}

/** "2020-05-01 10:00:00 UTC" from an RFC 3339 UTC time (for the hover title). */
export function utcText(iso: string): string {
  return u(iso, 40).replace('T', ' ').replace(/(\.[0-9]+)?Z$/, '');
}

/**
 * A time in the viewer's time zone and language, as a <time> whose title (hover) gives it
 * in UTC. A time that does not parse is shown as it is, escaped.
 */
export function timeEl(iso: string | undefined | null): HTMLElement | null {
  if (!iso) return null;
  const d = new Date(iso);
  if (!/^[0-9]{4}-/.test(iso) || Number.isNaN(d.getTime())) return h('span', {}, u(iso, 60));
  const text = new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
  return h('time', { datetime: u(iso, 40), title: t('time.utc', { time: utcText(iso) }) }, text);
}

/** "A, B and C" as the viewer's language joins names. */
export function list(names: string[]): string {
  if (names.length <= 1) return names.join('');
  try {
    return new Intl.ListFormat(language(), { type: 'conjunction' }).format(names);
  } catch {
    return names.join(', ');
  }
}

/** Is the screen narrow enough for the top-to-bottom path (the CSS breakpoint, app.css)? */
export function narrowScreen(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(max-width: 599px)').matches;
}
