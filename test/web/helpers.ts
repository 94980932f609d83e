// Browser-test helpers: headless Chromium (Debian's /usr/bin/chromium, never a download)
// through playwright-core, and a small HTTP proxy that can tamper with answers.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.COTC_CHROMIUM ?? '/usr/bin/chromium';
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export const ARTIFACTS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'test-artifacts');

/** A fresh Chromium profile (its own --user-data-dir); throws loudly when Chromium is missing. */
export async function launchBrowser(): Promise<{ ctx: BrowserContext; profile: string }> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    timeout: 30_000,
  });
  return { ctx, profile };
}

/**
 * Console errors and uncaught exceptions of a page (CSP violations show up here), and any
 * request to another place than `allowed` (the page must need no external network).
 */
export function watchErrors(page: Page, allowed: string[]): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!allowed.some((a) => url.startsWith(a))) errors.push(`request to ${url}`);
  });
  return errors;
}

export interface Proxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Forwards every request to `target`; when `tamper(path, body)` returns a Buffer for a 200
 * answer, that is sent instead (with a corrected Content-Length).
 */
export async function startProxy(target: string, tamper: (path: string, body: Buffer) => Buffer | null): Promise<Proxy> {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
      (ur) => {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          let body: Buffer = Buffer.concat(chunks);
          const changed = ur.statusCode === 200 ? tamper(req.url ?? '', body) : null;
          if (changed) body = changed;
          const headers = { ...ur.headers };
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          res.writeHead(ur.statusCode ?? 502, { ...headers, 'content-length': String(body.length) });
          res.end(body);
        });
      },
    );
    up.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** One character of a base64 string changed to another base64 character (still canonical). */
export function flipBase64(data: string, at: number): string {
  const c = data[at]!;
  const other = c === 'A' ? 'B' : 'A';
  return data.slice(0, at) + other + data.slice(at + 1);
}
