// `pnpm build:web`: writes the static donor page to dist/web/ (index.html, app.js,
// app.css, favicon.svg; relative URLs). Host it anywhere or open dist/web/index.html from
// disk, then point it at a ledger and pin the log key:
//   index.html?server=https://ledger.example.org&key=<name+hexid+base64>
// It is the same page `cotc serve` serves, but one the ledger's server cannot swap.
// A witness policy can be baked in (issue 13): pnpm build:web [OUT] --witness VKEY [--witness VKEY…] [--quorum K]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeStaticWeb } from '../src/web/build.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const witnesses: string[] = [];
let quorum: number | undefined;
const rest: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--witness' && args[i + 1]) witnesses.push(args[++i]!);
  else if (args[i] === '--quorum' && args[i + 1]) quorum = Number(args[++i]);
  else rest.push(args[i]!);
}
if (witnesses.length > 0) {
  const { needPolicy } = await import('@cotc/verify');
  needPolicy({ witnesses, quorum: quorum ?? witnesses.length });
}
const out = path.resolve(root, rest[0] ?? 'dist/web');
const b = await writeStaticWeb(out, witnesses.length > 0 ? { witnessPolicy: { witnesses, ...(quorum !== undefined ? { quorum } : {}) } } : {});
const kb = (s: string) => (Buffer.byteLength(s) / 1024).toFixed(1);
console.log(`dist: ${path.relative(root, out) || out}/index.html, app.js (${kb(b.js)} KiB), app.css (${kb(b.css)} KiB) in ${b.ms.toFixed(0)} ms`);
