// The HTML shell of the donor page: no inline script or style (the CSP forbids both), the
// mode in a meta tag, the script and stylesheet by URL. 'server' pages load /assets/…;
// the 'static' build uses relative URLs so it works from any folder or from file://.
import { t } from './strings.ts';

export type WebMode = 'server' | 'static';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A witness policy baked into the page (the static build's --witness/--quorum, issue 13). */
export interface ShellWitnessPolicy { witnesses: string[]; quorum?: number }

export function shellHtml(mode: WebMode, version: string, witnessPolicy?: ShellWitnessPolicy): string {
  const base = mode === 'server' ? '/assets/' : '';
  const v = mode === 'server' ? `?v=${encodeURIComponent(version)}` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="cotc-mode" content="${mode}">
${witnessPolicy ? `<meta name="cotc-witness-policy" content="${esc(JSON.stringify(witnessPolicy))}">\n` : ''}<title>${esc(t('app.name'))}</title>
<link rel="icon" href="${base}favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${base}app.css${v}">
<script defer src="${base}app.js${v}"></script>
</head>
<body>
<a class="skip" href="#main">${esc(t('nav.skip'))}</a>
<header class="top"><div class="wrap top-inner"><a class="brand" href="${mode === 'server' ? '/' : 'index.html'}">${esc(t('app.name'))}</a><nav id="nav" aria-label="${esc(t('app.name'))}"></nav></div></header>
<main id="main" class="wrap" tabindex="-1"><p class="muted">${esc(t('loading'))}</p><noscript><p>${esc(t('noscript'))}</p></noscript></main>
<footer class="wrap foot"><p>${esc(t('footer.text'))}</p></footer>
</body>
</html>
`;
}
