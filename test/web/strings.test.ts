// The donor page's words all come from its string tables (issue 12): every table has every
// key with the same placeholders, Thai and Chinese are real translations (not English left
// in), and no client source puts a user-visible literal into the DOM bypassing t().
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shellHtml } from '../../src/web/html.ts';
import { TABLES, en, matchLanguage, setLanguage, t, type MessageId } from '../../src/web/strings.ts';
import { CLI_TABLES, en as cliEn, m, setCliLanguage, type CliMessageId } from '../../src/cli/strings.ts';
import { envLanguage, localeLanguage } from '../../src/cli/lang.ts';

const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'web', 'client');
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli');
const holes = (s: string) => [...s.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1]).sort();

test('every table has every key, the same placeholders, and its own words', () => {
  const keys = Object.keys(en).sort();
  for (const [lang, table] of Object.entries(TABLES)) {
    assert.equal(Object.keys(table).sort(), keys, lang);
    if (lang === 'en') continue;
    for (const k of keys as MessageId[]) {
      assert.equal(holes(table[k]), holes(en[k]), `${lang} ${k}: placeholders`);
      // Only symbols and placeholders may read the same in every language.
      const letters = en[k].replace(/\{[a-zA-Z]+\}/g, '').replace(/[^A-Za-z]/g, '');
      if (letters.length >= 2) assert.is.not(table[k], en[k], `${lang} ${k} is still English`);
    }
  }
  assert.match(TABLES.th['status.verified'], /[\u0e00-\u0e7f]/);
  assert.match(TABLES['zh-CN']['status.verified'], /[\u4e00-\u9fff]/);
});

test('the CLI\'s tables: every key, the same placeholders, and their own words', () => {
  const keys = Object.keys(cliEn).sort();
  for (const [lang, table] of Object.entries(CLI_TABLES)) {
    assert.equal(Object.keys(table).sort(), keys, lang);
    if (lang === 'en') continue;
    for (const k of keys as CliMessageId[]) {
      assert.equal(holes(table[k]), holes(cliEn[k]), `cli ${lang} ${k}: placeholders`);
      // Option names, markers and placeholders read the same everywhere; words do not.
      const letters = cliEn[k].replace(/\{[a-zA-Z]+\}/g, '').replace(/--[a-z][a-z0-9-]*/g, '').replace(/\bcotc( [a-z]+)?:/g, '').replace(/[^A-Za-z]/g, '');
      if (letters.length >= 2) assert.is.not(table[k], cliEn[k], `cli ${lang} ${k} is still English`);
    }
  }
});

test('the CLI follows LC_ALL, LC_MESSAGES, LANG (POSIX order); C is English', () => {
  assert.is(localeLanguage('zh_CN.UTF-8'), 'zh-CN');
  assert.is(localeLanguage('th_TH.UTF-8'), 'th');
  assert.is(localeLanguage('C.UTF-8'), 'en');
  assert.is(localeLanguage('de_DE.UTF-8'), null);
  assert.is(envLanguage({ LANG: 'th_TH.UTF-8' }), 'th');
  assert.is(envLanguage({ LANG: 'th_TH.UTF-8', LC_ALL: 'zh_CN.UTF-8' }), 'zh-CN');
  assert.is(envLanguage({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'zh_CN.UTF-8' }), 'zh-CN');
  assert.is(envLanguage({ LANG: 'de_DE.UTF-8' }), 'en');
  assert.is(envLanguage({ LANG: 'de_DE.UTF-8', LANGUAGE: 'fr:th' }), 'th');
  assert.is(envLanguage({ LANG: 'C', LANGUAGE: 'th' }), 'en');
  assert.is(envLanguage({}), 'en');
  setCliLanguage('zh-CN');
  assert.is(m('common.empty', { option: '--name' }), '--name：不能为空');
  setCliLanguage('en');
  assert.is(m('common.empty', { option: '--name' }), '--name: must not be empty');
});

test('languages are matched from BCP 47 tags; t() follows setLanguage', () => {
  assert.is(matchLanguage('zh-Hans-CN'), 'zh-CN');
  assert.is(matchLanguage('zh'), 'zh-CN');
  assert.is(matchLanguage('th-TH'), 'th');
  assert.is(matchLanguage('en-GB'), 'en');
  assert.is(matchLanguage('fr'), null);
  setLanguage('th');
  assert.is(t('status.mismatch'), TABLES.th['status.mismatch']);
  setLanguage('en');
  assert.is(t('status.mismatch'), 'This receipt does not match this donation');
});

/** Literals that are not words: symbols, technical marks, placeholders of form fields. */
const ALLOWED = new Set(['sha256 ', 'https://']);
const TEXT_ATTRS = new Set(['title', 'aria-label', 'placeholder', 'alt', 'aria-description', 'label']);

/** User-visible string literals in DOM text or attribute calls that do not go through t(). */
export function bypasses(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const wordy = (s: string) => /[A-Za-z\u0e00-\u0e7f\u4e00-\u9fff]{2,}/.test(s) && !ALLOWED.has(s);
  const at = (n: ts.Node) => `${path.basename(file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const literalTexts = (n: ts.Node): string[] => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return [n.text];
    if (ts.isTemplateExpression(n)) return [n.head.text, ...n.templateSpans.map((s) => s.literal.text)];
    if (ts.isConditionalExpression(n)) return [...literalTexts(n.whenTrue), ...literalTexts(n.whenFalse)];
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.PlusToken) return [...literalTexts(n.left), ...literalTexts(n.right)];
    if (ts.isParenthesizedExpression(n)) return literalTexts(n.expression);
    return [];
  };
  const check = (n: ts.Node, what: string) => {
    for (const s of literalTexts(n)) if (wordy(s)) out.push(`${at(n)} ${what}: ${JSON.stringify(s)}`);
  };
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression.getText(sf);
      if (callee === 'h' || callee === 's') {
        n.arguments.slice(2).forEach((a) => check(a, `${callee}() child`));
        const attrs = n.arguments[1];
        if (attrs && ts.isObjectLiteralExpression(attrs)) {
          for (const p of attrs.properties) {
            if (!ts.isPropertyAssignment(p)) continue;
            const name = p.name.getText(sf).replace(/^['"]|['"]$/g, '');
            if (TEXT_ATTRS.has(name)) check(p.initializer, `${name}=`);
          }
        }
      }
      // (URLSearchParams' q.append(name, value) is no DOM call.)
      if (/\.(append|prepend|replaceWith|after|before)$/.test(callee) && !/^k?q\./.test(callee)) n.arguments.forEach((a) => check(a, callee));
      if (/\.setAttribute$/.test(callee) && n.arguments[0] && ts.isStringLiteral(n.arguments[0]) && TEXT_ATTRS.has(n.arguments[0].text) && n.arguments[1]) check(n.arguments[1], 'setAttribute');
      if (/createTextNode$/.test(callee)) n.arguments.forEach((a) => check(a, 'createTextNode'));
    }
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && /\.(textContent|innerText|title|placeholder|innerHTML)$/.test(n.left.getText(sf))) check(n.right, n.left.getText(sf));
    if (ts.isPropertyAssignment(n) && /^(text|title)$/.test(n.name.getText(sf))) check(n.initializer, `${n.name.getText(sf)}:`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

test('the scan catches a literal that bypasses the tables (it can fail)', () => {
  const bad = [
    `h('p', {}, 'Verified')`,
    `h('a', { title: 'Open the donation' }, t('x'))`,
    `el.textContent = 'Loading'`,
    `box.append(\`Paid \${x}\`)`,
    `h('span', {}, ok ? t('a') : 'failed')`,
    `lines.push({ text: 'Not yet spent', cls: 'c' })`,
  ];
  for (const src of bad) assert.ok(bypasses('x.ts', src).length >= 1, src);
  assert.equal(bypasses('x.ts', `h('p', { class: 'muted', id: 'x' }, t('loading'), ' ', '✓ ', '#', u(x))`), []);
});

test('no client source shows a user-visible literal bypassing the tables', () => {
  const found: string[] = [];
  const files = fs.readdirSync(CLIENT).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 10, files.join());
  for (const f of files) found.push(...bypasses(f, fs.readFileSync(path.join(CLIENT, f), 'utf8')));
  // The shell's words are t() calls too (main.ts rewrites them in the chosen language).
  const values = new Set(Object.values(en).map((v) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')));
  const texts = [...shellHtml('server', 'v').replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/g, '').matchAll(/>([^<]+)</g)].map((m) => m[1]!.trim()).filter(Boolean);
  assert.ok(texts.length >= 4, texts.join('|'));
  for (const x of texts) assert.ok(values.has(x), `shell text not from the table: ${x}`);
  assert.equal(found, []);
});

/** Calls whose string arguments are not shown to a person as the CLI's words. */
const CLI_EXEMPT_CALLS = /^(m|Error|TypeError|RangeError|Option|require|alias)$/;
// commander's option()/description()/argument() are not exempt: --help is in the tables too.
const CLI_EXEMPT_METHODS = /^(command|startsWith|endsWith|includes|test|split|join|replace|replaceAll|get|has|resolve)$/;
/** Arguments that name things, not words: parseVerifierKey(key, 'what it is') names the value in its own (English) error. */
const CLI_EXEMPT_NAMERS = /^(parseVerifierKey|parseSignerKey|ed25519Verifier)$/;

/**
 * Sentences in a CLI source that bypass the tables: any string or template literal with
 * two words in a row (or a word glued to a placeholder by a space) outside m() and Error
 * constructors (impossible states, thrown loudly); commander's --help text included. Option
 * names, the `cotc <command>:` prefix and the stable line markers are not words.
 */
export function cliBypasses(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const wordy = (text: string) => {
    const x = text
      .replace(/--[a-z][a-z0-9-]*( <[a-z-]+>)?/g, ' ')
      .replace(/\bcotc( [a-z]+)?:/g, ' ')
      .replace(/\b(VERIFIED|FAILED|PROBLEM|WARNING|MATCH|NO MATCH|NOT CHECKED): ?/g, '');
    return /[A-Za-z]{2,}[,:;.!?'’)]*\s+[("'“]?[A-Za-z]{2,}/.test(x) || /(^\s+[A-Za-z]{3,})|([A-Za-z]{3,}\s+$)/.test(x);
  };
  const visit = (n: ts.Node, exempt: boolean) => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
    if (ts.isCallExpression(n) || ts.isNewExpression(n)) {
      const e = n.expression;
      const name = ts.isPropertyAccessExpression(e) ? e.name.text : e.getText(sf);
      if (e.kind === ts.SyntaxKind.ImportKeyword || (ts.isPropertyAccessExpression(e) ? CLI_EXEMPT_METHODS.test(name) : CLI_EXEMPT_CALLS.test(name) || CLI_EXEMPT_NAMERS.test(name))) exempt = true;
    }
    if (!exempt) {
      const texts = ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) ? [n.text] : ts.isTemplateExpression(n) ? [n.head.text, ...n.templateSpans.map((x) => x.literal.text)] : [];
      for (const x of texts) if (wordy(x)) out.push(`${path.basename(file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1} ${JSON.stringify(x)}`);
    }
    ts.forEachChild(n, (c) => visit(c, exempt));
  };
  visit(sf, false);
  return out;
}

test('the CLI scan catches a sentence that bypasses the tables (it can fail)', () => {
  const bad = [
    `io.out('donation accepted')`,
    `throw usage(\`\${option}: must not be empty\`)`,
    `const given = x ? \`--log-key gives \${k}\` : 'the server gives';`,
    `err(\`cotc audit: trusting \${id}\`)`,
    `io.out(\`accepted \${what}\`)`,
    `program.option('--data <dir>', 'data directory to create')`,
    `cmd.description('serve the ledger over HTTP')`,
    `const AMOUNT_HELP = 'amount: a decimal with exactly the digits'`,
  ];
  for (const src of bad) assert.ok(cliBypasses('x.ts', src).length >= 1, src);
  const good = [
    `io.out(m('donate.receipt', { id }))`,
    `throw new Error(\`impossible: fund \${id} has no lots\`)`,
    `program.option('--data <dir>', m('help.demo.data'), './data')`,
    `io.out(\`FAILED: \${code}: \${message}\`)`,
    `throw usage(\`--server: \${e.message}\`)`,
    `const f = path.join(dir, 'log.key')`,
  ];
  for (const src of good) assert.equal(cliBypasses('x.ts', src), [], src);
});

test('no CLI source prints a sentence bypassing the tables', () => {
  const files = fs.readdirSync(CLI).filter((f) => f.endsWith('.ts') && !/^strings/.test(f)).map((f) => path.join(CLI, f));
  assert.ok(files.length >= 12, files.join());
  // The CLI's human output written outside src/cli: the witness lines of verify, audit and serve.
  // (src/witness/monitor.ts, audit --follow, writes its lines through the tables too, but also
  // holds the replay's problem messages, English next to their code like the auditor's.)
  files.push(...['cli-policy.ts', 'serve-options.ts'].map((f) => path.join(CLI, '..', 'witness', f)));
  const found: string[] = [];
  for (const f of files) found.push(...cliBypasses(f, fs.readFileSync(f, 'utf8')));
  assert.equal(found, []);
});

test.run();
