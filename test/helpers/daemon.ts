// Test helper: what the tests need to run a system daemon of their own (Debian's PostgreSQL
// in postgres.ts, nginx in nginx.ts): a free port on 127.0.0.1, a temporary directory the
// daemon's unprivileged user can work in, and its binaries run to completion as that user
// when the tests run as root (CI: PostgreSQL refuses to run as root), as the caller otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const asRoot = process.getuid?.() === 0;

/** A TCP port on 127.0.0.1 that was free a moment ago (the daemon binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A new temporary directory (`prefix` + random), mode 0755; as root, owned by `owner`
 * when given (the user the daemon's binaries then run as). */
export function daemonDir(prefix: string, owner?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  if (asRoot && owner) execFileSync('chown', [`${owner}:${owner}`, dir]);
  return dir;
}

/** Runs `bin args` to completion — as root and with `user`, as that user (runuser -u) —
 * and throws, naming the binary and its output, when it fails (unless `quiet`). */
export function runDaemonTool(bin: string, args: readonly string[], opts: { user?: string; quiet?: boolean } = {}): void {
  const [cmd, argv] = asRoot && opts.user ? ['runuser', ['-u', opts.user, '--', bin, ...args]] : [bin, [...args]];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 && !opts.quiet) {
    throw new Error(`${path.basename(bin)} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr || r.stdout}`);
  }
}
