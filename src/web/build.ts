// Builds the donor page (DESIGN.md "GET /", issue 5): one HTML shell, one script and one
// stylesheet. The script is src/web/client/main.ts with @cotc/verify, bundled by esbuild
// for the browser (no Node built-ins: any import of one fails the build).
//
// @cotc/ledger validates entry shapes with ajv, which compiles validators with
// `new Function` at run time, and the page's CSP (script-src 'self', no 'unsafe-eval')
// forbids that. So the browser bundle does not carry ajv's compiler: at build time, in
// Node, ajv compiles the ledger's own JSON Schemas into standalone code (ajv/standalone),
// and the bundle's `ajv/dist/2020.js` is a small stand-in whose getSchema(id) returns those
// precompiled validators. The schemas and the format check (isUtcTime) are the ledger's,
// read at build time, so the page can never drift from what the server and the CLI check.
//
// Two flavours: 'server' (assets under /assets/, served by `cotc serve`, built in memory
// on start and cached) and 'static' (relative URLs, written to dist/web/ by
// scripts/build-web.ts: to be hosted anywhere or opened from disk, pinned to a log key).
import path from 'node:path';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Ajv2020, _ } from 'ajv/dist/2020.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { isUtcTime, schemas } from '@cotc/ledger';
import { shellHtml, type ShellWitnessPolicy, type WebMode } from './html.ts';

export type { WebMode };

export interface WebBuild {
  mode: WebMode;
  html: string;
  js: string;
  css: string;
  favicon: string;
  /** short content hash of js+css (cache validators) */
  etag: string;
  ms: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.join(here, 'client', 'main.ts');
const CSS = path.join(here, 'app.css');
const FAVICON = path.join(here, 'favicon.svg');
const LEDGER_SCHEMA = path.resolve(here, '..', '..', 'packages', 'ledger', 'src', 'schema.ts');

type StandaloneFn = (ajv: unknown, refs?: Record<string, string>) => string;
const standaloneCode: StandaloneFn =
  (standaloneModule as unknown as { default?: StandaloneFn }).default ?? (standaloneModule as unknown as StandaloneFn);

/**
 * ESM source of the ledger's envelope and entry validators, compiled ahead of time. The
 * options are those of packages/ledger/src/schema.ts (strict, first error only, the
 * date-time format by isUtcTime), so the validators and their errors are the same.
 */
export function precompiledValidators(): { code: string; ids: { envelope: string; entry: string } } {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: false,
    formats: { 'date-time': { type: 'string', validate: isUtcTime } },
    schemas: Object.values(schemas) as object[],
    code: { source: true, esm: true, formats: _`__cotcFormats` },
  });
  const ids = { envelope: schemas.envelope.$id, entry: schemas.entry.$id };
  const body = standaloneCode(ajv, { validateEnvelope: ids.envelope, validateEntry: ids.entry });
  if (/\bnew Function\b|\beval\s*\(/.test(body)) throw new Error('ajv standalone code uses eval');
  const code = [
    `import { isUtcTime as __isUtcTime } from ${JSON.stringify(LEDGER_SCHEMA)};`,
    // Called lazily: schema.ts imports this module while it is still being evaluated.
    `const __cotcFormats = { "date-time": { type: "string", validate: (s) => __isUtcTime(s) } };`,
    body,
  ].join('\n');
  return { code, ids };
}

function ajvStandalonePlugin(): esbuild.Plugin {
  return {
    name: 'cotc-ajv-standalone',
    setup(build) {
      build.onResolve({ filter: /^ajv\/dist\/2020(\.js)?$/ }, () => ({ path: 'ajv2020-shim', namespace: 'cotc-ajv' }));
      build.onResolve({ filter: /^cotc-ajv-validators$/ }, () => ({ path: 'validators', namespace: 'cotc-ajv' }));
      build.onLoad({ filter: /.*/, namespace: 'cotc-ajv' }, (args) => {
        const { code, ids } = precompiledValidators();
        if (args.path === 'validators') return { contents: code, loader: 'js', resolveDir: here };
        return {
          loader: 'js',
          resolveDir: here,
          contents: [
            `import { validateEnvelope, validateEntry } from 'cotc-ajv-validators';`,
            `const byId = { ${JSON.stringify(ids.envelope)}: validateEnvelope, ${JSON.stringify(ids.entry)}: validateEntry };`,
            // The stand-in for ajv's Ajv2020 in the browser: no compiler, only the precompiled validators.
            `export class Ajv2020 { constructor() {} getSchema(id) { return Object.prototype.hasOwnProperty.call(byId, id) ? byId[id] : undefined; } }`,
            `export default Ajv2020;`,
          ].join('\n'),
        };
      });
    },
  };
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
function noNodeBuiltins(): esbuild.Plugin {
  return {
    name: 'cotc-no-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (BUILTINS.has(args.path) || args.path.startsWith('node:')) {
          return { errors: [{ text: `the donor page must not use Node built-ins: ${args.path} (imported by ${args.importer})` }] };
        }
        return undefined;
      });
    },
  };
}

export interface BuildOptions {
  mode: WebMode;
  minify?: boolean;
  /** a witness policy the page enforces (meta cotc-witness-policy; issue 13) */
  witnessPolicy?: ShellWitnessPolicy;
}

export async function buildWeb(opts: BuildOptions): Promise<WebBuild> {
  const t0 = performance.now();
  const minify = opts.minify ?? true;
  const js = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    // A classic script (not a module): module scripts do not load from file://.
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    minify,
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [noNodeBuiltins(), ajvStandalonePlugin()],
  });
  const css = await esbuild.build({
    entryPoints: [CSS],
    bundle: true,
    write: false,
    minify,
    charset: 'utf8',
    logLevel: 'silent',
    target: ['chrome90', 'firefox90', 'safari15'],
  });
  const jsText = js.outputFiles[0]!.text;
  if (/\bnew Function\s*\(|\beval\s*\(/.test(jsText)) throw new Error('the donor page bundle uses eval or new Function (forbidden by the CSP)');
  const cssText = css.outputFiles[0]!.text;
  const etag = createHash('sha256').update(jsText).update(cssText).digest('base64url').slice(0, 16);
  return {
    mode: opts.mode,
    html: shellHtml(opts.mode, etag, opts.witnessPolicy),
    js: jsText,
    css: cssText,
    favicon: fs.readFileSync(FAVICON, 'utf8'),
    etag,
    ms: performance.now() - t0,
  };
}

/** Writes a static build (index.html, app.js, app.css, favicon.svg) to `dir`. */
export async function writeStaticWeb(dir: string, opts: { minify?: boolean; witnessPolicy?: ShellWitnessPolicy } = {}): Promise<WebBuild> {
  const b = await buildWeb({ mode: 'static', minify: opts.minify, witnessPolicy: opts.witnessPolicy });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), b.html);
  fs.writeFileSync(path.join(dir, 'app.js'), b.js);
  fs.writeFileSync(path.join(dir, 'app.css'), b.css);
  fs.writeFileSync(path.join(dir, 'favicon.svg'), b.favicon);
  return b;
}
