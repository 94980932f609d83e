// Serves the donor page from the ledger server (DESIGN.md "GET /"): GET / (find a
// donation), GET /donations/:id (its verified path), GET /log (the log), and the assets
// under /assets/. The assets are built in memory by esbuild (build.ts) on the first request
// for the page (about half a second) and cached for the life of the process, so a clean
// clone needs no build step, and a server nobody asks for the page pays nothing: not even
// the import of esbuild, which is loaded only then. (An eager build at start would compete
// for the CPU with the first requests of a just-restarted server.)
// Everything is served from here: no CDN, no external font; the app's CSP applies.
import express, { type Express, type Request, type Response } from 'express';
import type { WebBuild } from './build.ts';

let cached: Promise<WebBuild> | undefined;

/** The server build of the page, built on first use and kept for the life of the process. */
export function webBuild(): Promise<WebBuild> {
  if (!cached) {
    cached = import('./build.ts').then((m) => m.buildWeb({ mode: 'server' }));
    // A failed build is retried on the next request rather than cached forever.
    cached.catch(() => {
      cached = undefined;
    });
  }
  return cached;
}

function send(res: Response, b: WebBuild, type: string, body: string, cache: string): void {
  res.set({ 'Content-Type': type, 'Cache-Control': cache, ETag: `"${b.etag}"` });
  res.send(body);
}

/** Installs the page's routes (pass as startServer's / createApp's `extend`). */
export function mountWeb(app: Express, opts: { onError?: (e: unknown) => void } = {}): void {
  const serve = (pick: (b: WebBuild) => [string, string], cache: string) => async (req: Request, res: Response) => {
    let b: WebBuild;
    try {
      b = await webBuild();
    } catch (e) {
      opts.onError?.(e);
      res.status(500).type('text/plain; charset=utf-8').send('the donor page could not be built');
      return;
    }
    if (req.headers['if-none-match'] === `"${b.etag}"`) {
      res.set({ 'Cache-Control': cache, ETag: `"${b.etag}"` }).status(304).end();
      return;
    }
    const [type, body] = pick(b);
    send(res, b, type, body, cache);
  };
  const page = serve((b) => ['text/html; charset=utf-8', b.html], 'no-cache');
  // A router of its own: these are pages, not operations of the JSON API, so they are not
  // among the app's top-level routes that the OpenAPI document lists (test/http/openapi).
  const r = express.Router({ strict: false });
  r.get('/', page);
  r.get('/log', page);
  r.get('/donations/:id', page);
  // Versioned by ?v=<hash> in the page; revalidated otherwise.
  r.get('/assets/app.js', serve((b) => ['text/javascript; charset=utf-8', b.js], 'no-cache'));
  r.get('/assets/app.css', serve((b) => ['text/css; charset=utf-8', b.css], 'no-cache'));
  r.get('/assets/favicon.svg', serve((b) => ['image/svg+xml', b.favicon], 'public, max-age=86400'));
  app.use(r);
}
