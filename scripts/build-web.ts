// `pnpm build:web`: writes the static donor page to dist/web/ (index.html, app.js,
// app.css, favicon.svg; relative URLs). Host it anywhere or open dist/web/index.html from
// disk, then point it at a ledger and pin the log key:
//   index.html?server=https://ledger.example.org&key=<name+hexid+base64>
// It is the same page `cotc serve` serves, but one the ledger's server cannot swap.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeStaticWeb } from '../src/web/build.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(root, process.argv[2] ?? 'dist/web');
const b = await writeStaticWeb(out);
const kb = (s: string) => (Buffer.byteLength(s) / 1024).toFixed(1);
console.log(`dist: ${path.relative(root, out) || out}/index.html, app.js (${kb(b.js)} KiB), app.css (${kb(b.css)} KiB) in ${b.ms.toFixed(0)} ms`);
