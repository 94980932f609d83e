// Test helper: Debian's nginx serving a directory on a free port, with a config written to a
// temporary directory (daemon off, pid, logs and temp paths there). As root, workers run as
// nobody (the served tree must be world-readable); otherwise nginx runs as the caller.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { nginxServerBlock } from '../../src/mirror/nginx.ts';

export const NGINX = process.env.COTC_NGINX ?? '/usr/sbin/nginx';

export function haveNginx(): boolean {
  return fs.existsSync(NGINX);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Nginx {
  url: string;
  proc: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

export async function startNginx(root: string): Promise<Nginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-nginx-'));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
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
  const test = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t: ${test.stderr || test.stdout}`);
  const proc = spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited ${proc.exitCode}: ${stderr}`);
    try {
      await fetch(url + '/checkpoint');
      break;
    } catch {
      if (i > 100) throw new Error(`nginx did not answer on ${url}: ${stderr}`);
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
