// `pnpm cotc <command>`: the CLI of DESIGN.md "The CLI". Exit codes: 0 success, 1 a check
// failed, 2 usage or network error.
import { Command, CommanderError, Option } from 'commander';
import { CliError, commaList, DEFAULT_SERVER, jsonText, repeatable, safeLines, stdio } from './common.ts';
import { defaultStatePath } from './statefile.ts';
import { interruptible, stopOnSignal } from './shutdown.ts';
import { m } from './strings.ts';

const JSON_HELP = 'print the result as one JSON document on stdout (README "The CLI", "--json")';

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
program.name('cotc').description('Charities on the Chain: a verifiable ledger of donation money').exitOverride();

program
  .command('serve')
  .description('serve the ledger over HTTP on an embedded LevelDB under --data')
  .option('--data <dir>', 'data directory (created with its keys and entry 0 on first start)', './data')
  .option('--port <n>', 'port', '8080')
  .option('--host <h>', 'host to listen on', '127.0.0.1')
  .option('--demo', 'when --data does not exist yet, first fill it with the demo story (see `demo`); with no --witness, also run two local witnesses')
  .option('--donations <n>', 'with --demo: the number of donations of the demo story (100 to 1000000; default 3000)')
  .option('--origin <name>', "the new log's name (its checkpoint origin), set at first start only; default <hostname>/cotc (with --demo: <hostname>/cotc-demo)")
  .option('--witness <url=vkey>', 'a witness to push checkpoints to: its add-checkpoint URL prefix = its cosignature verifier key (repeatable)', repeatable)
  .option('--quorum <k>', 'cosignatures needed before a checkpoint is published (default: all witnesses)')
  .option('--checkpoint-interval <seconds>', 'how often a checkpoint is pushed to the witnesses', '10')
  .option('--verify-store', "check every LevelDB file's CRCs before serving (time grows with the store, ~6 s/GiB; `audit --data` always does)")
  .option('--store <url>', 'where the log is stored: a LevelDB directory or postgres://USER@HOST:PORT/DB (--data then holds only the key files; on PostgreSQL any number of servers share one database, one sequences); default LevelDB under --data')
  .option('--store-read <url>', 'with --store: a streaming replica of it that this server reads from while another one sequences')
  .option('--json', 'print one JSON line once serving (url, origin, size, key, key files) instead of the lines')
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
  .description("bring a PostgreSQL store's schema to this version of cotc (serve also does it at start); a newer schema is refused")
  .requiredOption('--store <url>', 'postgres://USER@HOST:PORT/DB')
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
  .description('replay the log and check it (from where the last clean audit of it stopped, else entry 0); exit 0 clean, 1 problem found, 2 usage or network error')
  .option('--server <url>', 'audit a server')
  .option('--data <dir>', 'audit a data directory (the server must be stopped)')
  .option('--tiles <url>', "audit a log from its C2SP tlog-tiles alone (checkpoint, entry bundles, hash tiles): the API's or a static mirror's")
  .option('--store <url>', 'audit a store: a LevelDB directory or postgres://USER@HOST:PORT/DB (with --data DIR, the log key is read from DIR/log.key; else --log-key or the one remembered)')
  .option('--batches <dir>', 'a directory holding batches/ (a copy of a server\'s gift batch files): each held file is rebuilt and checked against its batch\'s root, count and total (default with --data: DIR\'s own)')
  .option('--state <file>', 'where to remember the last checkpoint seen', defaultStatePath())
  .option('--log-key <key>', 'the log verifier key to trust (default: remembered, or trust on first use)')
  .option('--no-signatures', 'skip signature checks (measurement only)')
  .option('--from-scratch', 'forget the replayed state saved by the last audit of this log and replay from entry 0')
  .option('--audit-state <dir>', 'where the replayed state of each log is saved, to resume from (default: beside --state, in audit/)')
  .option('--witness <vkey>', 'a witness\'s verifier key: the checkpoint must be cosigned by --quorum of them (repeatable)', repeatable)
  .option('--quorum <k>', 'how many of the --witness keys must have cosigned (default: all)')
  .option('--witness-policy <file>', 'a witness policy file: {"quorum": K, "witnesses": [vkey…]} (instead of --witness/--quorum)')
  .option('--replace-log-key', 'trust --log-key (or the log\'s key) even when another key is remembered for this log; forgets its remembered checkpoint')
  .option('--follow', 'keep following --server, replaying each new entry; exit 1 at the first problem (a monitor)')
  .option('--interval <seconds>', 'with --follow: how often to read the log\'s checkpoint', '10')
  .option('--witness-key <file>', 'with --follow: cosign (as a C2SP witness, served on --port) only checkpoints fully replayed; the key file is created with --witness-name')
  .option('--witness-name <name>', 'with --witness-key: the witness name of a new key')
  .option('--port <n>', 'with --witness-key: the port its add-checkpoint listens on', '7381')
  .option('--host <h>', 'with --witness-key: the host it listens on', '127.0.0.1')
  .option('--json', JSON_HELP)
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
  .description('create a new data directory holding a demo ledger: the 2020 story of small donations through an e-commerce platform')
  .option('--data <dir>', 'data directory to create (refused if it already holds a ledger)', './data')
  .option('--donations <n>', 'number of donations (100 to 1000000)', '3000')
  .option('--gifts <n>', 'micro-donations posted in gift batches, Goods for Good and Steps for Charity days (0 to 20000000; 1000000 makes the seed\'s scale)', '1000')
  .option('--seed <n>', 'seed of the story: the same seed gives the same events and receipt secrets', '2020')
  .option('--store <url>', 'where the log is stored, an empty LevelDB directory or postgres://USER@HOST:PORT/DB (default: DIR/store; DIR then holds only the key files)')
  .option('--json', JSON_HELP)
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
  .description('generate an Ed25519 signed-note key pair: the signer key goes to a new file (mode 600), the verifier key is printed')
  .requiredOption('--name <name>', 'the key name: an org id for an org key')
  .option('--out <file>', 'where to write the signer key (default ./NAME.key); never overwritten')
  .option('--json', JSON_HELP)
  .action(async (o: { name: string; out?: string; json?: boolean }) => {
    const { keygenCommand } = await import('./keygen.ts');
    process.exitCode = keygenCommand(o, stdio);
  });

const org = program.command('org').description('register organisations (operator) and change their keys');

const orgRegister = org
  .command('register')
  .description('register an organisation: an org.register event signed with DIR/operator.key, posted to --server (the server of that data directory)')
  .option('--data <dir>', 'the data directory holding operator.key', './data')
  .requiredOption('--id <id>', 'the new org id')
  .requiredOption('--name <name>', 'the org name')
  .requiredOption('--role <roles>', 'role(s), comma-separated or repeated: operator, platform, charity, payee, auditor', commaList)
  .option('--verifier-key <keys>', 'verifier key(s) of the org (named by its id; what keygen prints), comma-separated or repeated', commaList)
  .option('--server <url>', 'the ledger server', DEFAULT_SERVER)
  .option('--event-id <id>', 'the event id (default: a fresh random one)')
  .option('--json', JSON_HELP);
alias(orgRegister, '--key <keys>', 'verifierKey', { required: '--verifier-key <keys>', parser: commaList });
orgRegister.action(async (o: { data: string; id: string; name: string; role: string[]; verifierKey: string[]; server: string; eventId?: string; json?: boolean }) => {
    const { orgRegisterCommand } = await import('./org.ts');
    process.exitCode = await orgRegisterCommand({ ...o, key: o.verifierKey }, stdio);
  });

const orgKeys = org
  .command('keys')
  .description('add or revoke keys of an org: an org.keys event signed by that org\'s key (or the operator\'s)')
  .option('--key <file>', 'signer key file of the org (or of the operator), mode 600')
  .requiredOption('--org <id>', 'the org whose keys change')
  .option('--add <keys>', 'verifier key(s) to add, comma-separated or repeated', commaList)
  .option('--revoke <keys>', 'verifier key(s) to revoke, comma-separated or repeated', commaList)
  .option('--server <url>', 'the ledger server', DEFAULT_SERVER)
  .option('--event-id <id>', 'the event id (default: a fresh random one)')
  .option('--json', JSON_HELP);
alias(orgKeys, '--key-file <file>', 'key', { required: '--key <file>' });
orgKeys.action(async (o: { key: string; org: string; add?: string[]; revoke?: string[]; server: string; eventId?: string; json?: boolean }) => {
    const { orgKeysCommand } = await import('./org.ts');
    process.exitCode = await orgKeysCommand({ ...o, keyFile: o.key }, stdio);
  });

// ---- posting events ----

const post = program
  .command('post')
  .description('sign and post an unsigned event, or an array of them (one POST), from FILE ("-": stdin); v, time and org default to 1, now and the key\'s name')
  .argument('<file>', 'JSON file of an unsigned event or an array of them, or - for stdin')
  .option('--key <file>', 'signer key file (mode 600)')
  .option('--server <url>', 'the ledger server', DEFAULT_SERVER)
  .option('--json', JSON_HELP)
  .action(async (file: string, o: { key: string; server: string; json?: boolean }) => {
    const { postCommand } = await import('./post.ts');
    process.exitCode = await postCommand(file, o, stdio);
  });
alias(post, '--key-file <file>', 'key', { required: '--key <file>' });

const AMOUNT_HELP = 'amount: a decimal with exactly the currency\'s fraction digits (12.34 for CNY), or minor units as an integer (1234)';

/** A command that signs with --key (alias --key-file) and posts to --server (default: DEFAULT_SERVER). */
function poster(name: string, description: string, eventIdAlias = true): Command {
  const cmd = program
    .command(name)
    .description(description)
    .option('--key <file>', 'signer key file of the posting org (mode 600)')
    .option('--server <url>', 'the ledger server', DEFAULT_SERVER)
    .option('--json', JSON_HELP);
  alias(cmd, '--key-file <file>', 'key', { required: '--key <file>' });
  // --event-id names the posted event on every command; these name it --id too.
  if (eventIdAlias) alias(cmd, '--event-id <id>', 'id');
  return cmd;
}

poster('fund', 'open a fund (fund.open) owned by the key\'s org', false)
  .requiredOption('--id <fund>', 'the fund id')
  .requiredOption('--name <name>', 'the fund name')
  .requiredOption('--currency <code>', 'its currency, ISO 4217 (CNY)')
  .option('--restricted', 'restricted to its purpose')
  .requiredOption('--purpose <text>', 'what the fund is for')
  .option('--event-id <id>', 'the event id (default: a fresh random one)')
  .action(async (o) => {
    const { fundCommand } = await import('./charity.ts');
    process.exitCode = await fundCommand(o, stdio);
  });

poster('donate', 'record a donation into a fund; once the ledger accepted it, prints the donor\'s receipt: a link to the donor page (the secret after #) and its QR code')
  .requiredOption('--fund <fund>', 'the fund credited')
  .requiredOption('--amount <amount>', AMOUNT_HELP)
  .requiredOption('--currency <code>', 'the currency (the fund\'s)')
  .option('--id <id>', 'the donation id (default: a fresh readable one)')
  .option('--channel <channel>', 'how it came in', 'direct')
  .option('--receipt <secret>', 'the donor\'s receipt secret (default: a fresh one, printed)')
  .option('--qr-svg <file>', 'also write the receipt link\'s QR code to FILE as SVG (mode 600: it holds the secret)')
  .option('--no-qr', 'no QR code in the terminal')
  .action(async (o) => {
    const { donateCommand } = await import('./charity.ts');
    process.exitCode = await donateCommand(o, stdio);
  });

poster('disburse', 'pay a payee from a fund, with receipt documents (only their SHA-256 and names are posted)')
  .requiredOption('--fund <fund>', 'the fund paid from')
  .requiredOption('--amount <amount>', AMOUNT_HELP)
  .requiredOption('--currency <code>', 'the currency (the fund\'s)')
  .requiredOption('--payee <payee>', 'a registered org id, or the name of an unregistered payee')
  .requiredOption('--purpose <text>', 'what the money is for')
  .option('--receipt-file <file>', 'a receipt document (repeatable); hashed locally, never sent', repeatable)
  .option('--id <id>', 'the event id (default: a fresh random one)')
  .action(async (o) => {
    const { disburseCommand } = await import('./charity.ts');
    process.exitCode = await disburseCommand(o, stdio);
  });

poster('confirm', 'confirm a disbursement arrived (by the payee or an auditor org)')
  .requiredOption('--disbursement <id>', 'the disbursement event id')
  .requiredOption('--statement <text>', 'what was delivered')
  .option('--evidence-file <file>', 'an evidence document (repeatable); hashed locally, never sent', repeatable)
  .option('--id <id>', 'the event id (default: a fresh random one)')
  .action(async (o) => {
    const { confirmCommand } = await import('./charity.ts');
    process.exitCode = await confirmCommand(o, stdio);
  });

poster('transfer', 'move money from one of the key\'s org\'s funds to another fund (possibly another org\'s: a grant)')
  .requiredOption('--from <fund>', 'the source fund')
  .requiredOption('--to <fund>', 'the destination fund')
  .requiredOption('--amount <amount>', AMOUNT_HELP)
  .requiredOption('--currency <code>', 'the currency (both funds\')')
  .requiredOption('--memo <text>', 'why')
  .option('--id <id>', 'the event id (default: a fresh random one)')
  .action(async (o) => {
    const { transferCommand } = await import('./charity.ts');
    process.exitCode = await transferCommand(o, stdio);
  });

poster('reverse', 'reverse an event that can still be undone (a refund, a returned payment)')
  .requiredOption('--event <id>', 'the event to reverse')
  .requiredOption('--reason <text>', 'why')
  .option('--id <id>', 'the event id (default: a fresh random one)')
  .action(async (o) => {
    const { reverseCommand } = await import('./charity.ts');
    process.exitCode = await reverseCommand(o, stdio);
  });

// ---- witnessing ----

program
  .command('mirror')
  .description('write the static mirror of a log under --out: the checkpoint, C2SP tlog-tiles, trace bundles, fund and org records and the donor page, as plain files for any static server')
  .option('--data <dir>', 'the data directory (its key files; and its store unless --store)', './data')
  .option('--store <url>', 'the store: a LevelDB directory or postgres://USER@HOST:PORT/DB (default: the LevelDB under --data)')
  .option('--out <dir>', 'where to write the files (created; updated incrementally)')
  .option('--follow', 'keep the mirror up to date: a pass every --interval seconds, until Ctrl-C')
  .option('--interval <seconds>', 'with --follow: seconds between passes', '10')
  .option('--no-page', 'leave out the donor page')
  .action(async (o: { data: string; store?: string; out?: string; follow?: boolean; interval: string; page: boolean }) => {
    const { mirrorCommand } = await import('../mirror/command.ts');
    process.exitCode = await mirrorCommand(o);
  });

program
  .command('witness')
  .description('run a C2SP tlog-witness: cosign checkpoints of the given logs only when consistent with what it cosigned before')
  .requiredOption('--data <dir>', 'data directory (witness.key, mode 600, created on first start; logs/ holds what it cosigned)')
  .requiredOption('--name <name>', 'the witness name (part of its key id), e.g. witness.example.org/w1')
  .requiredOption('--log <vkey>', 'verifier key of a log to witness, named by its origin (repeatable)', repeatable)
  .option('--port <n>', 'port', '7380')
  .option('--host <h>', 'host to listen on', '127.0.0.1')
  .option('--json', 'print one JSON line once serving (name, url, key, logs) instead of the lines')
  .action(async (o: { data: string; name: string; log: string[]; port: string; host: string; json?: boolean }) => {
    const { witnessCommand } = await import('./witness.ts');
    await witnessCommand(o);
  });

// ---- verifying a donation ----

program
  .command('verify')
  .description('fetch a donation\'s trace (every page) and verify it offline; exit 0 verified (and every --document matched), 1 failed (also: not in the log, the server refuses the trace, or a --document matches no proven hash), 2 usage or network error')
  .argument('<donation-id>', 'the donation id')
  .option('--server <url>', 'the ledger server', DEFAULT_SERVER)
  .option('--log-key <key>', 'the log verifier key to trust (default: remembered for this server, or trusted on first use)')
  .option('--receipt <secret>', 'the donor\'s receipt secret: checks the donation is theirs')
  .option('--gift <index>', 'the id is a gift batch: verify gift <index> of it too (with --receipt, the gift\'s receipt secret) and its share of every hop')
  .option('--state <file>', 'where to remember the log key and the last checkpoint seen', defaultStatePath())
  .option('--witness <vkey>', 'a witness\'s verifier key: the checkpoint must be cosigned by --quorum of them (repeatable)', repeatable)
  .option('--quorum <k>', 'how many of the --witness keys must have cosigned (default: all)')
  .option('--witness-policy <file>', 'a witness policy file: {"quorum": K, "witnesses": [vkey…]} (instead of --witness/--quorum)')
  .option('--replace-log-key', 'trust --log-key (or the server\'s key) even when another key is remembered for this log or server; forgets its remembered checkpoint')
  .option('--document <file>', 'a receipt or evidence file: its SHA-256, computed here, is matched against the proven hashes of the path (repeatable; exit 1 when one matches none)', repeatable)
  .option('--json', JSON_HELP)
  .action(async (id: string, o: { server: string; logKey?: string; receipt?: string; gift?: string; state: string; replaceLogKey?: boolean; json?: boolean; document?: string[] }) => {
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
