// `pnpm cotc <command>`: the CLI of DESIGN.md "The CLI". Exit codes: 0 success, 1 a check
// failed, 2 usage or network error.
import { Command, CommanderError, Help, Option } from 'commander';
import { CliError, commaList, DEFAULT_SERVER, jsonText, repeatable, safeLines, stdio } from './common.ts';
import { defaultStatePath } from './statefile.ts';
import { interruptible, stopOnSignal } from './shutdown.ts';
import { m, type CliMessageId } from './strings.ts';

/**
 * Another spelling of an option (issue 12 item 11, "option names consistent across
 * commands"): the old spellings of DESIGN.md's CLI forms and of the README keep working,
 * hidden from --help. `to` is the attribute of the canonical option; `required` when the
 * command needs one of the two (commander checks required options before any hook, so
 * such options are declared optional and checked here).
 */
function alias(cmd: Command, flags: string, to: string, { required, parser }: { required?: string; parser?: (v: string, prev: string[] | undefined) => string[] } = {}): Command {
  const opt = new Option(flags).hideHelp();
  const attr = opt.attributeName();
  if (!flags.includes('<')) throw new Error(`alias ${flags}: only options with a value`);
  cmd.addOption(parser ? opt.argParser(parser) : opt);
  cmd.hook('preAction', (c) => {
    const o = c.opts();
    if (o[attr] !== undefined) {
      if (o[to] !== undefined && JSON.stringify(o[to]) !== JSON.stringify(o[attr])) usage(m('cli.bothSpellings', { a: flags.split(' ')[0]!, b: (required ?? to).split(' ')[0]! }));
      c.setOptionValue(to, o[attr]);
    }
    if (required && c.opts()[to] === undefined) usage(m('cli.required', { option: required }));
  });
  return cmd;
}


const program = new Command();
// commander's own words in --help (its titles, the help option and command, "default:") in
// the CLI's language too; set before any command is made, as commands inherit them.
// Its titles ('Usage:', 'Options:', 'Commands:', 'Arguments:', 'Global Options:') by first word.
const HELP_TITLES: Record<string, CliMessageId> = {
  'Usage:': 'help.title.usage',
  'Options:': 'help.title.options',
  'Commands:': 'help.title.commands',
  'Arguments:': 'help.title.arguments',
  Global: 'help.title.global',
};
program
  .helpOption('-h, --help', m('help.help'))
  .helpCommand('help [command]', m('help.help'))
  .configureHelp({
    styleTitle: (title: string) => {
      const id = HELP_TITLES[title.split(' ')[0]!];
      return id ? m(id) : title;
    },
    optionDescription(option: Option): string {
      return Help.prototype.optionDescription.call(this, option).replace(/([(,] ?)default: /, `$1${m('help.default')}: `);
    },
  });
program.name('cotc').description(m('help.cotc')).exitOverride();

program
  .command('serve')
  .description(m('help.serve'))
  .option('--data <dir>', m('help.serve.data'), './data')
  .option('--port <n>', m('help.serve.port'), '8080')
  .option('--host <h>', m('help.serve.host'), '127.0.0.1')
  .option('--demo', m('help.serve.demo'))
  .option('--donations <n>', m('help.serve.donations'))
  .option('--origin <name>', m('help.serve.origin'))
  .option('--witness <url=vkey>', m('help.serve.witness'), repeatable)
  .option('--quorum <k>', m('help.serve.quorum'))
  .option('--checkpoint-interval <seconds>', m('help.serve.checkpoint-interval'), '10')
  .option('--verify-store', m('help.serve.verify-store'))
  .option('--store <url>', m('help.serve.store'))
  .option('--store-read <url>', m('help.serve.store-read'))
  .option('--json', m('help.serve.json'))
  .action(async (o: { data: string; port: string; host: string; demo?: boolean; donations?: string; witness?: string[]; quorum?: string; checkpointInterval: string; origin?: string; verifyStore?: boolean; store?: string; storeRead?: string; json?: boolean }) => {
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage(m('common.notPort', { option: '--port', value: o.port }));
    const { originProblem } = await import('../log/datadir.ts');
    const badOrigin = o.origin === undefined ? null : originProblem(o.origin);
    if (badOrigin) usage(m('serve.badOrigin', { origin: JSON.stringify(o.origin), reason: badOrigin }));
    const fs = await import('node:fs');
    const path = await import('node:path');
    const say = (line: string) => (o.json ? console.error(safeLines(line)) : console.log(safeLines(line)));
    interruptible();
    if (o.demo && !fs.existsSync(o.data)) {
      const { createDemo, MIN_DONATIONS, MAX_DONATIONS } = await import('../demo/demo.ts');
      const donations = o.donations === undefined ? undefined : Number(o.donations);
      if (o.donations !== undefined && (!/^[0-9]+$/.test(o.donations) || donations! < MIN_DONATIONS || donations! > MAX_DONATIONS)) {
        usage(m('demo.badDonations', { min: MIN_DONATIONS, max: MAX_DONATIONS, got: o.donations }));
      }
      const d = await createDemo(o.data, { donations, log: (line) => say(line), server: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`, origin: o.origin, store: o.store });
      say(m('demo.written', { size: d.size, data: o.data }));
    } else if (o.demo) {
      say(m('serve.demoExists', { data: o.data }));
    }
    // First start: openDataDir (src/log/datadir.ts) makes the key files when log.key is absent.
    const keyFiles = ['log.key', 'operator.key'].map((f) => path.resolve(o.data, f));
    const firstStart = !fs.existsSync(keyFiles[0]!);
    say(m(o.verifyStore ? 'serve.openingVerify' : 'serve.opening', { data: o.data }));
    // Imported here, not at the top: express and LevelDB cost a second of startup to every other command.
    const { startServer } = await import('../server.ts');
    const { witnessServeOptions } = await import('../witness/serve-options.ts');
    const w = await witnessServeOptions(o).catch((e: Error) => usage(e.message));
    // A long start (a big store checked with --verify-store, a slow disk) says it is still going.
    const t0 = Date.now();
    const ticker = setInterval(() => say(m('serve.stillStarting', { s: Math.round((Date.now() - t0) / 1000) })), 5000);
    let s: Awaited<ReturnType<typeof startServer>>;
    try {
      // On an existing data directory a different --origin is refused, naming both (src/log/datadir.ts).
      s = await startServer(o.data, { port, host: o.host, ...w.options, origin: o.origin, verifyStore: o.verifyStore === true, store: o.store, storeRead: o.storeRead });
    } finally {
      clearInterval(ticker);
    }
    stopOnSignal(async () => {
      await s.close();
      await w.close();
    });
    if (o.json) {
      console.log(jsonText({ url: s.url, origin: s.log.origin, size: s.log.size, key: s.log.verifierKey, data: path.resolve(o.data), firstStart, keyFiles, witnesses: w.describe(), ...(s.leadership ? { role: s.leadership.role } : {}) }));
      return;
    }
    for (const line of w.describe()) console.log(line);
    if (firstStart) {
      // Where the keys are and that they must be backed up; never the keys themselves.
      for (const line of m('serve.newKeys', { log: keyFiles[0]!, operator: keyFiles[1]! }).split('\n')) console.log(safeLines(`cotc: ${line}`));
    }
    console.log(safeLines(s.leadership ? m('serve.servingAs', { origin: s.log.origin, size: s.log.size, url: s.url, role: s.leadership.role }) : m('serve.serving', { origin: s.log.origin, size: s.log.size, url: s.url })));
    console.log(safeLines(m('serve.logKey', { key: s.log.verifierKey })));
  });

program
  .command('migrate')
  .description(m('help.migrate'))
  .requiredOption('--store <url>', m('help.migrate.store'))
  .action(async (o: { store: string }) => {
    const { PgStore } = await import('../storage/postgres.ts');
    let store;
    try {
      store = new PgStore(o.store, { migrate: false });
    } catch (e) {
      usage((e as Error).message);
    }
    // open() with migrate:false would refuse an old schema: migrate on a raw pool first.
    const [from, to] = await store.migrateOnly();
    console.log(safeLines(from === to ? m('migrate.current', { where: store.where, to }) : m('migrate.done', { where: store.where, from, to })));
  });

program
  .command('audit')
  .description(m('help.audit'))
  .option('--server <url>', m('help.audit.server'))
  .option('--data <dir>', m('help.audit.data'))
  .option('--tiles <url>', m('help.audit.tiles'))
  .option('--store <url>', m('help.audit.store'))
  .option('--batches <dir>', m('help.audit.batches'))
  .option('--state <file>', m('help.audit.state'), defaultStatePath())
  .option('--log-key <key>', m('help.audit.log-key'))
  .option('--no-signatures', m('help.audit.no-signatures'))
  .option('--from-scratch', m('help.audit.from-scratch'))
  .option('--audit-state <dir>', m('help.audit.audit-state'))
  .option('--witness <vkey>', m('help.audit.witness'), repeatable)
  .option('--quorum <k>', m('help.audit.quorum'))
  .option('--witness-policy <file>', m('help.audit.witness-policy'))
  .option('--replace-log-key', m('help.audit.replace-log-key'))
  .option('--follow', m('help.audit.follow'))
  .option('--interval <seconds>', m('help.audit.interval'), '10')
  .option('--witness-key <file>', m('help.audit.witness-key'))
  .option('--witness-name <name>', m('help.audit.witness-name'))
  .option('--port <n>', m('help.audit.port'), '7381')
  .option('--host <h>', m('help.audit.host'), '127.0.0.1')
  .option('--json', m('help.audit.json'))
  .action(async (o: { server?: string; data?: string; tiles?: string; store?: string; state: string; logKey?: string; signatures: boolean; replaceLogKey?: boolean; follow?: boolean; json?: boolean }) => {
    if (o.follow) {
      const { monitorCommand } = await import('../witness/monitor.ts');
      process.exitCode = await monitorCommand(o);
      return;
    }
    interruptible();
    const { auditCommand } = await import('./audit.ts');
    process.exitCode = await auditCommand(o);
  });

program
  .command('demo')
  .description(m('help.demo'))
  .option('--data <dir>', m('help.demo.data'), './data')
  .option('--donations <n>', m('help.demo.donations'), '3000')
  .option('--gifts <n>', m('help.demo.gifts'), '1000')
  .option('--seed <n>', m('help.demo.seed'), '2020')
  .option('--store <url>', m('help.demo.store'))
  .option('--json', m('help.audit.json'))
  .action(async (o: { data: string; donations: string; gifts: string; seed: string; json?: boolean; store?: string }) => {
    interruptible();
    const { createDemo, MIN_DONATIONS, MAX_DONATIONS, MAX_GIFTS_DEMO } = await import('../demo/demo.ts');
    const donations = Number(o.donations);
    if (!/^[0-9]+$/.test(o.donations) || donations < MIN_DONATIONS || donations > MAX_DONATIONS) {
      usage(m('demo.badDonations', { min: MIN_DONATIONS, max: MAX_DONATIONS, got: o.donations }));
    }
    const gifts = Number(o.gifts);
    if (!/^[0-9]{1,9}$/.test(o.gifts) || gifts > MAX_GIFTS_DEMO) usage(m('demo.badGifts', { max: MAX_GIFTS_DEMO, got: o.gifts }));
    if (!/^-?[0-9]{1,15}$/.test(o.seed)) usage(m('demo.badSeed', { got: o.seed }));
    const t0 = performance.now();
    const s = await createDemo(o.data, { donations, gifts, seed: Number(o.seed), log: (line) => (o.json ? console.error(line) : console.log(line)), store: o.store });
    const seconds = (performance.now() - t0) / 1000;
    if (o.json) {
      const path = await import('node:path');
      console.log(jsonText({ data: path.resolve(o.data), size: s.size, gifts: s.gifts, batches: s.batches.length, seconds: Number(seconds.toFixed(3)), examples: path.resolve(o.data, 'demo-examples.json') }));
    } else {
      console.log(m('demo.writtenIn', { size: s.size, data: o.data, seconds: seconds.toFixed(1) }));
    }
  });

// ---- keys and organisations ----

program
  .command('keygen')
  .description(m('help.keygen'))
  .requiredOption('--name <name>', m('help.keygen.name'))
  .option('--out <file>', m('help.keygen.out'))
  .option('--json', m('help.audit.json'))
  .action(async (o: { name: string; out?: string; json?: boolean }) => {
    const { keygenCommand } = await import('./keygen.ts');
    process.exitCode = keygenCommand(o, stdio);
  });

const org = program.command('org').description(m('help.org'));

const orgRegister = org
  .command('register')
  .description(m('help.register'))
  .option('--data <dir>', m('help.register.data'), './data')
  .requiredOption('--id <id>', m('help.register.id'))
  .requiredOption('--name <name>', m('help.register.name'))
  .requiredOption('--role <roles>', m('help.register.role'), commaList)
  .option('--verifier-key <keys>', m('help.register.verifier-key'), commaList)
  .option('--server <url>', m('help.register.server'), DEFAULT_SERVER)
  .option('--event-id <id>', m('help.register.event-id'))
  .option('--json', m('help.audit.json'));
alias(orgRegister, '--key <keys>', 'verifierKey', { required: '--verifier-key <keys>', parser: commaList });
orgRegister.action(async (o: { data: string; id: string; name: string; role: string[]; verifierKey: string[]; server: string; eventId?: string; json?: boolean }) => {
    const { orgRegisterCommand } = await import('./org.ts');
    process.exitCode = await orgRegisterCommand({ ...o, key: o.verifierKey }, stdio);
  });

const orgKeys = org
  .command('keys')
  .description(m('help.keys'))
  .option('--key <file>', m('help.keys.key'))
  .requiredOption('--org <id>', m('help.keys.org'))
  .option('--add <keys>', m('help.keys.add'), commaList)
  .option('--revoke <keys>', m('help.keys.revoke'), commaList)
  .option('--server <url>', m('help.register.server'), DEFAULT_SERVER)
  .option('--event-id <id>', m('help.register.event-id'))
  .option('--json', m('help.audit.json'));
alias(orgKeys, '--key-file <file>', 'key', { required: '--key <file>' });
orgKeys.action(async (o: { key: string; org: string; add?: string[]; revoke?: string[]; server: string; eventId?: string; json?: boolean }) => {
    const { orgKeysCommand } = await import('./org.ts');
    process.exitCode = await orgKeysCommand({ ...o, keyFile: o.key }, stdio);
  });

// ---- posting events ----

const post = program
  .command('post')
  .description(m('help.post'))
  .argument('<file>', m('help.post.arg'))
  .option('--key <file>', m('help.post.key'))
  .option('--server <url>', m('help.register.server'), DEFAULT_SERVER)
  .option('--json', m('help.audit.json'))
  .action(async (file: string, o: { key: string; server: string; json?: boolean }) => {
    const { postCommand } = await import('./post.ts');
    process.exitCode = await postCommand(file, o, stdio);
  });
alias(post, '--key-file <file>', 'key', { required: '--key <file>' });

/** A command that signs with --key (alias --key-file) and posts to --server (default: DEFAULT_SERVER). */
function poster(name: string, description: string, eventIdAlias = true): Command {
  const cmd = program
    .command(name)
    .description(description)
    .option('--key <file>', m('help.post.key2'))
    .option('--server <url>', m('help.register.server'), DEFAULT_SERVER)
    .option('--json', m('help.audit.json'));
  alias(cmd, '--key-file <file>', 'key', { required: '--key <file>' });
  // --event-id names the posted event on every command; these name it --id too.
  if (eventIdAlias) alias(cmd, '--event-id <id>', 'id');
  return cmd;
}

poster('fund', m('help.fund'), false)
  .requiredOption('--id <fund>', m('help.fund.id'))
  .requiredOption('--name <name>', m('help.fund.name'))
  .requiredOption('--currency <code>', m('help.fund.currency'))
  .option('--restricted', m('help.fund.restricted'))
  .requiredOption('--purpose <text>', m('help.fund.purpose'))
  .option('--event-id <id>', m('help.register.event-id'))
  .action(async (o) => {
    const { fundCommand } = await import('./charity.ts');
    process.exitCode = await fundCommand(o, stdio);
  });

poster('donate', m('help.donate'))
  .requiredOption('--fund <fund>', m('help.donate.fund'))
  .requiredOption('--amount <amount>', m('help.donate.amount'))
  .requiredOption('--currency <code>', m('help.donate.currency'))
  .option('--id <id>', m('help.donate.id'))
  .option('--channel <channel>', m('help.donate.channel'), 'direct')
  .option('--receipt <secret>', m('help.donate.receipt'))
  .option('--qr-svg <file>', m('help.donate.qr-svg'))
  .option('--no-qr', m('help.donate.no-qr'))
  .action(async (o) => {
    const { donateCommand } = await import('./charity.ts');
    process.exitCode = await donateCommand(o, stdio);
  });

poster('disburse', m('help.disburse'))
  .requiredOption('--fund <fund>', m('help.disburse.fund'))
  .requiredOption('--amount <amount>', m('help.donate.amount'))
  .requiredOption('--currency <code>', m('help.donate.currency'))
  .requiredOption('--payee <payee>', m('help.disburse.payee'))
  .requiredOption('--purpose <text>', m('help.disburse.purpose'))
  .option('--receipt-file <file>', m('help.disburse.receipt-file'), repeatable)
  .option('--id <id>', m('help.register.event-id'))
  .action(async (o) => {
    const { disburseCommand } = await import('./charity.ts');
    process.exitCode = await disburseCommand(o, stdio);
  });

poster('confirm', m('help.confirm'))
  .requiredOption('--disbursement <id>', m('help.confirm.disbursement'))
  .requiredOption('--statement <text>', m('help.confirm.statement'))
  .option('--evidence-file <file>', m('help.confirm.evidence-file'), repeatable)
  .option('--id <id>', m('help.register.event-id'))
  .action(async (o) => {
    const { confirmCommand } = await import('./charity.ts');
    process.exitCode = await confirmCommand(o, stdio);
  });

poster('transfer', m('help.transfer'))
  .requiredOption('--from <fund>', m('help.transfer.from'))
  .requiredOption('--to <fund>', m('help.transfer.to'))
  .requiredOption('--amount <amount>', m('help.donate.amount'))
  .requiredOption('--currency <code>', m('help.transfer.currency'))
  .requiredOption('--memo <text>', m('help.transfer.memo'))
  .option('--id <id>', m('help.register.event-id'))
  .action(async (o) => {
    const { transferCommand } = await import('./charity.ts');
    process.exitCode = await transferCommand(o, stdio);
  });

poster('reverse', m('help.reverse'))
  .requiredOption('--event <id>', m('help.reverse.event'))
  .requiredOption('--reason <text>', m('help.transfer.memo'))
  .option('--id <id>', m('help.register.event-id'))
  .action(async (o) => {
    const { reverseCommand } = await import('./charity.ts');
    process.exitCode = await reverseCommand(o, stdio);
  });

// ---- witnessing ----

program
  .command('mirror')
  .description(m('help.mirror'))
  .option('--data <dir>', m('help.mirror.data'), './data')
  .option('--store <url>', m('help.mirror.store'))
  .option('--out <dir>', m('help.mirror.out'))
  .option('--follow', m('help.mirror.follow'))
  .option('--interval <seconds>', m('help.mirror.interval'), '10')
  .option('--no-page', m('help.mirror.no-page'))
  .action(async (o: { data: string; store?: string; out?: string; follow?: boolean; interval: string; page: boolean }) => {
    const { mirrorCommand } = await import('../mirror/command.ts');
    process.exitCode = await mirrorCommand(o);
  });

program
  .command('witness')
  .description(m('help.witness'))
  .requiredOption('--data <dir>', m('help.witness.data'))
  .requiredOption('--name <name>', m('help.witness.name'))
  .requiredOption('--log <vkey>', m('help.witness.log'), repeatable)
  .option('--port <n>', m('help.serve.port'), '7380')
  .option('--host <h>', m('help.serve.host'), '127.0.0.1')
  .option('--json', m('help.witness.json'))
  .action(async (o: { data: string; name: string; log: string[]; port: string; host: string; json?: boolean }) => {
    const { witnessCommand } = await import('./witness.ts');
    await witnessCommand(o);
  });

// ---- verifying a donation ----

program
  .command('verify')
  .description(m('help.verify'))
  .argument('<donation-id>', m('help.verify.arg'))
  .option('--server <url>', m('help.register.server'), DEFAULT_SERVER)
  .option('--log-key <key>', m('help.verify.log-key'))
  .option('--receipt <secret>', m('help.verify.receipt'))
  .option('--gift <index>', m('help.verify.gift'))
  .option('--state <file>', m('help.verify.state'), defaultStatePath())
  .option('--witness <vkey>', m('help.audit.witness'), repeatable)
  .option('--quorum <k>', m('help.audit.quorum'))
  .option('--witness-policy <file>', m('help.audit.witness-policy'))
  .option('--replace-log-key', m('help.verify.replace-log-key'))
  .option('--document <file>', m('help.verify.document'), repeatable)
  .option('--watch', m('help.verify.watch'))
  .option('--interval <seconds>', m('help.verify.interval'))
  .option('--json', m('help.audit.json'))
  .action(async (id: string, o: { server: string; logKey?: string; receipt?: string; gift?: string; state: string; replaceLogKey?: boolean; json?: boolean; document?: string[]; watch?: boolean; interval?: string }) => {
    if (o.watch) {
      // Watching ends when asked to (Ctrl-C): that is done, exit 0 (src/cli/watch.ts).
      stopOnSignal(async () => {});
      const { watchCommand } = await import('./watch.ts');
      process.exitCode = await watchCommand(id, o, stdio);
      return;
    }
    if (o.interval !== undefined) usage(m('cli.required', { option: '--watch' }));
    interruptible();
    const { verifyCommand } = await import('./verify.ts');
    process.exitCode = await verifyCommand(id, o, stdio);
  });

function usage(msg: string): never {
  console.error(safeLines(`cotc: ${msg}`));
  process.exit(2);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof CliError) {
    console.error(safeLines(`cotc: ${e.message}`));
    process.exit(e.exitCode);
  }
  console.error(safeLines(`cotc: ${(e as Error).message}`));
  process.exit(2);
}
