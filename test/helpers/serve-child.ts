// A server in a child process, for crash tests: serves DIR on 127.0.0.1:0 and prints
// "listening <url>" once ready.
import { startServer } from '../../src/server.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: serve-child.ts DIR');
  process.exit(2);
}
const s = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent' });
process.stdout.write(`listening ${s.url}\n`);
