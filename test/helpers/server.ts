// Test helpers: a real server on a temporary data directory, listening on 127.0.0.1:0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.ts';
import { LedgerClient } from '../../src/client/client.ts';

export function tempDir(prefix = 'cotc-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function testServer(dir = tempDir(), opts: StartOptions = {}): Promise<RunningServer & { dir: string; client: LedgerClient; operatorKey: string }> {
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', ...opts });
  const operatorKey = fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim();
  return Object.assign(s, { dir, client: new LedgerClient(s.url), operatorKey });
}
