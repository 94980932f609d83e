// A server in a child process, for crash and resource tests: serves DIR on 127.0.0.1:0 and
// prints "listening <url>" once ready. An optional second argument is JSON of further
// startServer options (e.g. '{"rateLimit": false, "readLimits": {"tracePageBytes": 1048576}}').
import { startServer } from '../../src/server.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: serve-child.ts DIR [OPTIONS-JSON]');
  process.exit(2);
}
const extra = process.argv[3] ? JSON.parse(process.argv[3]) : {};
const s = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', ...extra });
process.stdout.write(`listening ${s.url}\n`);
