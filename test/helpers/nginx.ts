// Test helper: Debian's nginx serving a directory on a free port, with a config written to a
// temporary directory (daemon off, pid, logs and temp paths there). As root, workers run as
// nobody (the served tree must be world-readable); otherwise nginx runs as the caller.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { nginxServerBlock } from '../../src/mirror/nginx.ts';
import { asRoot, daemonDir, freePort, runDaemonTool } from './daemon.ts';

export const NGINX = process.env.COTC_NGINX ?? '/usr/sbin/nginx';

export function haveNginx(): boolean {
  return fs.existsSync(NGINX);
}

export interface Nginx {
  url: string;
  proc: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

export async function startNginx(root: string): Promise<Nginx> {
  // The master runs as the caller and reads this directory; as root its workers run as nobody.
  const dir = daemonDir('cotc-nginx-');
  const port = await freePort();
  const conf = `# written by test/helpers/nginx.ts
${asRoot ? 'user nobody nogroup;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    sendfile on;
    keepalive_requests 100000;
${nginxServerBlock({ root: path.resolve(root), listen: `127.0.0.1:${port}` })}
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  runDaemonTool(NGINX, ['-t', '-q', '-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf')]);
  const proc = spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  // A liveness bound, not a speed assumption: a loaded machine may take seconds to start it.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited ${proc.exitCode}: ${stderr}`);
    try {
      await fetch(url + '/checkpoint');
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url} in 60 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    proc,
    dir,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGQUIT'); // graceful: the master stops its workers
        await done;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
