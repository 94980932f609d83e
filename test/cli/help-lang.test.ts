// `cotc --help` speaks the CLI's language (issue 12): commands, options and arguments from
// the tables (src/cli/strings*.ts), and commander's own words (titles, the help option,
// "default:") too. Checked on the real CLI under LANG=zh_CN.UTF-8 and th_TH.UTF-8 (and C,
// English), for the top level and two commands; test/web/strings.test.ts checks that no
// --help text in src/cli bypasses the tables.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI_TABLES, type CliMessageId } from '../../src/cli/strings.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function help(lang: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args, '--help'],
      { cwd: ROOT, env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '', COLUMNS: '100' }, timeout: 120_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${args.join(' ')} --help: ${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

// commander wraps lines at spaces (and anywhere in Chinese and Thai): compare without white space.
const flat = (s: string) => s.replace(/\s+/g, '');

const cases: Array<{ args: string[]; keys: CliMessageId[] }> = [
  { args: [], keys: ['help.cotc', 'help.serve', 'help.verify', 'help.donate', 'help.help', 'help.title.usage', 'help.title.options', 'help.title.commands'] },
  { args: ['verify'], keys: ['help.verify', 'help.verify.arg', 'help.register.server', 'help.verify.receipt', 'help.audit.witness', 'help.audit.json', 'help.default', 'help.title.arguments'] },
  { args: ['donate'], keys: ['help.donate', 'help.donate.amount', 'help.donate.qr-svg', 'help.post.key2'] },
];
const en = CLI_TABLES.en;

for (const [lang, locale] of [['zh-CN', 'zh_CN.UTF-8'], ['th', 'th_TH.UTF-8'], ['en', 'C.UTF-8']] as const) {
  test(`--help in ${lang}`, async () => {
    const table = CLI_TABLES[lang];
    for (const c of cases) {
      const out = await help(locale, c.args);
      for (const k of c.keys) assert.ok(flat(out).includes(flat(table[k])), `cotc ${c.args.join(' ')} --help (${lang}): no ${k} ${JSON.stringify(table[k])}\n${out}`);
      if (lang === 'en') continue;
      // No English sentence of the tables' --help is left, and none of commander's titles.
      for (const k of Object.keys(en) as CliMessageId[]) {
        if (!k.startsWith('help.') || en[k].split(/\s+/).length < 3) continue;
        assert.not.ok(flat(out).includes(flat(en[k])), `cotc ${c.args.join(' ')} --help (${lang}) is English: ${en[k]}`);
      }
      for (const title of ['Usage:', 'Options:', 'Commands:', 'Arguments:', 'display help', '(default:']) assert.not.ok(out.includes(title), `${lang}: ${title}\n${out}`);
    }
  });
}

test.run();
