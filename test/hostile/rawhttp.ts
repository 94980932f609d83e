// Raw HTTP/1.1 over a TCP socket, for requests no well-behaved client would send: the
// request line and headers go out byte for byte as given (null bytes, raw UTF-8, bad
// chunking, lying Content-Length), and the answer is read until the server closes.
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** the whole answer as received (latin1), for messages */
  raw: string;
}

export interface RawRequest {
  method: string;
  /** sent verbatim in the request line */
  path: string;
  /** header name → value; null removes a default header (Host, Content-Type) */
  headers?: Record<string, string | null>;
  body?: Buffer;
  /** send the body with Transfer-Encoding: chunked (no Content-Length) */
  chunked?: boolean;
  /** give up after this long (default 10 s) */
  timeoutMs?: number;
}

/** Builds the request bytes: Host and Connection: close added, Content-Length when there is a body. */
export function buildRequest(r: RawRequest): Buffer {
  const headers: Record<string, string | null> = { Host: '127.0.0.1', Connection: 'close' };
  const lower = new Set(Object.keys(r.headers ?? {}).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    for (const d of Object.keys(headers)) if (d.toLowerCase() === k.toLowerCase()) delete headers[d];
    headers[k] = v;
  }
  const body = r.body ?? Buffer.alloc(0);
  let payload = body;
  if (r.chunked) {
    headers['Transfer-Encoding'] = 'chunked';
    const parts: Buffer[] = [];
    for (let i = 0; i < body.length; i += 65536) {
      const c = body.subarray(i, i + 65536);
      parts.push(Buffer.from(c.length.toString(16) + '\r\n', 'latin1'), c, Buffer.from('\r\n', 'latin1'));
    }
    parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
    payload = Buffer.concat(parts);
  } else if (r.body !== undefined && !lower.has('content-length') && !lower.has('transfer-encoding')) {
    headers['Content-Length'] = String(body.length);
  }
  let head = `${r.method} ${r.path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) if (v !== null) head += `${k}: ${v}\r\n`;
  // The request line may carry raw UTF-8 or a NUL: encode as UTF-8, not latin1.
  return Buffer.concat([Buffer.from(head + '\r\n', 'utf8'), payload]);
}

/** Parses one HTTP/1.1 answer (Content-Length, chunked, or until close). */
export function parseAnswer(buf: Buffer): RawAnswer {
  const raw = buf.toString('latin1');
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`);
  const lines = raw.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
  if (!m) throw new Error(`not an HTTP status line: ${JSON.stringify(lines[0])}`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = buf.subarray(end + 4);
  if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const out: Buffer[] = [];
    let i = 0;
    for (;;) {
      const nl = body.indexOf('\r\n', i);
      if (nl < 0) break;
      const n = parseInt(body.subarray(i, nl).toString('latin1'), 16);
      if (!(n > 0)) break;
      out.push(body.subarray(nl + 2, nl + 2 + n));
      i = nl + 2 + n + 2;
    }
    body = Buffer.concat(out);
  }
  return { status: Number(m[1]), headers, body, raw: raw.slice(0, 2000) };
}

/**
 * Sends a raw request and reads until the server closes the connection. The socket is
 * never half-closed by us: node's server aborts a request whose client ends its side.
 * Write errors (EPIPE, ECONNRESET after the server answered early, e.g. 413) are ignored
 * if an answer arrived.
 */
export function rawRequest(url: string, r: RawRequest): Promise<RawAnswer> {
  const u = new URL(url);
  const bytes = buildRequest(r);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(u.port), u.hostname);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${r.timeoutMs ?? 10_000} ms to ${r.method} ${r.path.slice(0, 80)}`));
    }, r.timeoutMs ?? 10_000);
    socket.on('connect', () => socket.write(bytes, () => {}));
    socket.on('data', (c: Buffer) => chunks.push(c));
    const finish = (err?: Error) => {
      clearTimeout(timer);
      const buf = Buffer.concat(chunks);
      if (buf.length === 0) return reject(err ?? new Error(`the server closed without answering ${r.method} ${r.path.slice(0, 80)}`));
      try {
        resolve(parseAnswer(buf));
      } catch (e) {
        reject(e);
      }
    };
    socket.on('error', (e) => {
      // An early answer followed by a reset: keep reading what we have.
      if (chunks.length > 0) finish();
      else {
        clearTimeout(timer);
        reject(e);
      }
    });
    socket.on('close', () => finish());
  });
}

/** The JSON error body, checked to be exactly {"error": {"code", "message"}}; throws otherwise. */
export function errorBody(a: RawAnswer): { code: string; message: string } {
  const ct = a.headers['content-type'] ?? '';
  if (!/^application\/json/.test(ct)) throw new Error(`content-type ${JSON.stringify(ct)}, not JSON: ${a.raw.slice(0, 300)}`);
  const body = JSON.parse(a.body.toString('utf8'));
  const keys = Object.keys(body ?? {});
  if (keys.length !== 1 || keys[0] !== 'error') throw new Error(`not the error shape: ${a.body.toString('utf8').slice(0, 300)}`);
  const e = body.error;
  const ek = Object.keys(e ?? {}).sort();
  if (ek.length !== 2 || ek[0] !== 'code' || ek[1] !== 'message' || typeof e.code !== 'string' || typeof e.message !== 'string' || e.message === '') {
    throw new Error(`not the error shape: ${a.body.toString('utf8').slice(0, 300)}`);
  }
  return e;
}
