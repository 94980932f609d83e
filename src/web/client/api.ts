// Fetching from the ledger server. Everything it answers is untrusted: the verifier checks it.
import { consistencyFromTiles, hex } from '@cotc/tlog';
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function get(server: string, path: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(server + path, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch (e) {
    throw new ApiError(0, 'network', `${server}${path}: ${(e as Error).message}`);
  }
  if (!res.ok) {
    let code = 'http_error';
    let message = `${res.status} ${res.statusText}`;
    try {
      const b = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
      if (typeof b?.error?.code === 'string') code = b.error.code;
      if (typeof b?.error?.message === 'string') message = b.error.message;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, code, message);
  }
  return res;
}

export async function getJson<T = unknown>(server: string, path: string): Promise<T> {
  const res = await get(server, path);
  try {
    return (await res.json()) as T;
  } catch (e) {
    throw new ApiError(res.status, 'bad_json', `${path}: the answer is not JSON (${(e as Error).message})`);
  }
}

export async function getText(server: string, path: string): Promise<string> {
  return (await get(server, path)).text();
}

export async function consistencyProof(server: string, from: number, to: number): Promise<string[]> {
  let p: { hashes?: unknown };
  try {
    p = await getJson<{ hashes?: unknown }>(server, `/v1/proofs/consistency?from=${from}&to=${to}`);
  } catch (e) {
    // A static mirror (`cotc mirror`) has no proof endpoint: compute the proof from its
    // C2SP tlog-tiles (the caller checks it against both roots, as any proof).
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    return (await consistencyFromTiles((path) => getTile(server, path), from, to)).map(hex);
  }
  if (!Array.isArray(p.hashes)) throw new Error('the consistency proof has no hashes');
  return p.hashes as string[];
}

/** A C2SP tlog-tiles path's bytes (undefined on 404). */
async function getTile(server: string, path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await (await get(server, `/${path}`)).arrayBuffer());
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}
