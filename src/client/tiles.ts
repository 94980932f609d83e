// Reading a log's C2SP tlog-tiles over HTTP (GET <base>/tile/…, <base>/checkpoint), from the
// API or a static mirror alike: the fetcher tilefetch.ts (@cotc/tlog) computes proofs with,
// and what `audit --tiles` replays from. Answers are untrusted bytes: every proof made of
// them is checked against a signed checkpoint by the caller. Network errors are
// ClientError 'network'; 404 is "absent" (undefined); other statuses are ClientError.
import type { TileGetter } from '@cotc/tlog';
import { safeText } from '@cotc/verify';
import { ClientError } from './client.ts';

/** Largest answer read for one tile path: a full entry bundle of 256 entries of 65,535 bytes. */
export const MAX_TILE_ANSWER = 256 * (2 + 0xffff);

export function httpTileGetter(base: string): TileGetter {
  const root = base.replace(/\/+$/, '');
  return async (p: string) => {
    let r: Response;
    try {
      r = await fetch(`${root}/${p}`);
    } catch (e) {
      throw new ClientError(`cannot reach ${safeText(root)}: ${safeText((e as Error).message, 300)}`, 'network');
    }
    if (r.status === 404) {
      await r.body?.cancel();
      return undefined;
    }
    if (!r.ok) {
      await r.body?.cancel();
      throw new ClientError(`GET /${safeText(p)}: ${r.status}`, 'http', r.status);
    }
    const declared = Number(r.headers.get('content-length') ?? NaN);
    if (declared > MAX_TILE_ANSWER) {
      await r.body?.cancel();
      throw new ClientError(`GET /${safeText(p)}: ${declared} bytes, more than any tile or entry bundle`, 'bad_response', r.status);
    }
    const b = new Uint8Array(await r.arrayBuffer());
    if (b.length > MAX_TILE_ANSWER) throw new ClientError(`GET /${safeText(p)}: ${b.length} bytes, more than any tile or entry bundle`, 'bad_response', r.status);
    return b;
  };
}
