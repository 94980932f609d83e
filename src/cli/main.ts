// `pnpm cotc <command>`: the CLI of DESIGN.md "The CLI". Exit codes: 0 success, 1 a check
// failed, 2 usage or network error.
import { Command, CommanderError } from 'commander';
import { startServer } from '../server.ts';
import { auditCommand } from './audit.ts';
import { defaultStatePath } from './statefile.ts';

const program = new Command();
program.name('cotc').description('Charities on the Chain: a verifiable ledger of donation money').exitOverride();

program
  .command('serve')
  .description('serve the ledger over HTTP on an embedded LevelDB under --data')
  .option('--data <dir>', 'data directory (created with its keys and entry 0 on first start)', './data')
  .option('--port <n>', 'port', '8080')
  .option('--host <h>', 'host to listen on', '127.0.0.1')
  .action(async (o: { data: string; port: string; host: string }) => {
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port: ${o.port} is not a port number`);
    const s = await startServer(o.data, { port, host: o.host });
    console.log(`cotc: serving ${s.log.origin} (size ${s.log.size}) at ${s.url}`);
    console.log(`cotc: log key ${s.log.verifierKey}`);
    const stop = async () => {
      await s.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('audit')
  .description('replay the whole log from entry 0 and check it; exit 0 clean, 1 problem found, 2 usage or network error')
  .option('--server <url>', 'audit a server')
  .option('--data <dir>', 'audit a data directory (the server must be stopped)')
  .option('--state <file>', 'where to remember the last checkpoint seen', defaultStatePath())
  .option('--log-key <key>', 'the log verifier key to trust (default: remembered, or trust on first use)')
  .option('--no-signatures', 'skip signature checks (measurement only)')
  .action(async (o: { server?: string; data?: string; state: string; logKey?: string; signatures: boolean }) => {
    process.exitCode = await auditCommand(o);
  });

function usage(msg: string): never {
  console.error(`cotc: ${msg}`);
  process.exit(2);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  console.error(`cotc: ${(e as Error).message}`);
  process.exit(2);
}
