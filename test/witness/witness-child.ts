// A witness in a child process, for crash tests: witness-child.ts DIR NAME LOGKEY; prints
// "listening <url>" once ready. (Without arguments, as when a test runner loads it by a
// broad pattern, it does nothing.)
import { startWitness } from '../../src/witness/server.ts';

const [dir, name, logKey] = process.argv.slice(2);
if (dir && name && logKey && !dir.startsWith('-')) {
  const w = await startWitness({ dir, name, logs: [logKey], port: 0, host: '127.0.0.1', rateLimit: false });
  process.stdout.write(`listening ${w.url}\n`);
}
