// A small HTTP client of the ledger API, for the CLI, scripts and tests. Network errors
// surface as ClientError with code 'network' (and no status); HTTP errors carry the
// status and the server's code, when it is one (lowercase letters and _), else 'http'.
// A server's words are untrusted: every message built here from what a server sent (its
// error code and message, a cause) goes through safeText, the one escaping function
// (@cotc/verify), so printing a ClientError's message cannot drive a terminal (issue 9).
import { safeText } from '@cotc/verify';

export class ClientError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
    /** The server's error message (raw, untrusted: escape before showing), for HTTP errors. */
    readonly serverMessage?: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

const CODE_RE = /^[a-z][a-z0-9_]{0,63}$/;

export class LedgerClient {
  readonly base: string;
  constructor(base: string) {
    let u: URL;
    try {
      u = new URL(base);
    } catch {
      throw new TypeError(`server: not a URL: ${base}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`server: expected http(s) URL, got ${base}`);
    this.base = base.replace(/\/+$/, '');
  }

  async #fetch(path: string, init?: RequestInit): Promise<Response> {
    // GETs are idempotent: one retry rides out a keep-alive socket the server closed just
    // as it was reused. POSTs are not retried here (a repost is safe, but the caller
    // decides: it gets 200 for an identical event).
    const attempts = !init?.method || init.method === 'GET' ? 2 : 1;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        return await fetch(this.base + path, init);
      } catch (e) {
        last = e;
      }
    }
    const cause = (last as { cause?: { message?: string; code?: string } })?.cause;
    const why = `${(last as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})`.replace(/\(\s+/, '(') : ''}`;
    throw new ClientError(`cannot reach ${safeText(this.base)}: ${safeText(why, 500)}`, 'network');
  }

  /** GET a JSON document; HTTP errors throw ClientError with the server's code. */
  async get<T = unknown>(path: string): Promise<T> {
    const r = await this.#fetch(path);
    const text = await r.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ClientError(`GET ${safeText(path)}: answer is not JSON (status ${r.status})`, 'bad_response', r.status);
    }
    if (!r.ok) {
      const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof err?.code === 'string' && CODE_RE.test(err.code) ? err.code : 'http';
      const message = typeof err?.message === 'string' ? err.message : undefined;
      const said = [typeof err?.code === 'string' ? safeText(err.code, 64) : '', message !== undefined ? safeText(message, 500) : ''].filter(Boolean).join(' ');
      throw new ClientError(`GET ${safeText(path)}: ${r.status}${said ? ' ' + said : ''}`, code, r.status, message);
    }
    return body as T;
  }

  async getText(path: string): Promise<string> {
    const r = await this.#fetch(path);
    const t = await r.text();
    if (!r.ok) throw new ClientError(`GET ${safeText(path)}: ${r.status}`, 'http', r.status);
    return t;
  }

  /** POST one event or an array; returns status and parsed body whatever the status. */
  async post(events: unknown): Promise<{ status: number; body: any }> {
    const r = await this.#fetch('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    const text = await r.text();
    try {
      return { status: r.status, body: JSON.parse(text) };
    } catch {
      throw new ClientError(`POST /v1/events: answer is not JSON (status ${r.status})`, 'bad_response', r.status);
    }
  }
}
