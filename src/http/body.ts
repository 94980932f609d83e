// A POST body as raw bytes (DESIGN.md "Posting": JSON in UTF-8, at most MAX_BODY_BYTES), for
// every route that takes one: the API's POST /v1/events (app.ts) and the gift batches'
// POST /v1/batches (src/gifts/routes.ts, with its own limit).
import type { Request } from 'express';
import { HttpError } from './errors.ts';
import { MAX_BODY_BYTES } from './limits.ts';

/** Reads a POST body as raw bytes: 415 unless it is JSON in UTF-8 without a content
 * encoding; 413 `too_large` past `limit` bytes, from its Content-Length before reading or
 * as the bytes arrive (the rest is drained, not kept). */
export function readJsonBody(req: Request, limit: number = MAX_BODY_BYTES): Promise<Uint8Array> {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`limit: expected a non-negative integer, got ${limit}`);
  const ct = (req.headers['content-type'] ?? '').toLowerCase();
  const mediaType = ct.split(';')[0]!.trim();
  if (mediaType !== 'application/json') {
    return Promise.reject(new HttpError(415, 'unsupported_media_type', `content-type must be application/json, got ${mediaType || 'none'}`));
  }
  const charset = /charset=([^;]+)/.exec(ct)?.[1]?.trim().replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return Promise.reject(new HttpError(415, 'unsupported_media_type', `charset must be utf-8, got ${charset}`));
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return Promise.reject(new HttpError(415, 'unsupported_media_type', `content-encoding must be identity, got ${encoding}`));
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(new HttpError(413, 'too_large', `body over ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      n += c.length;
      if (n > limit) {
        done = true;
        reject(new HttpError(413, 'too_large', `body over ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    req.on('error', (e) => {
      if (!done) reject(e);
    });
  });
}
