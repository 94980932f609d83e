// node:crypto's SHA-256 for the gift sum tree on the server side (native, several times
// faster than @noble/hashes for short inputs); the browser and packages/verify keep noble.
import * as crypto from 'node:crypto';
import type { Sha256 } from '@cotc/ledger';

type OneShot = (alg: string, data: Uint8Array, enc: 'buffer') => Buffer;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

/** SHA-256 by node:crypto: crypto.hash (Node ≥ 20.12, one call, no Hash object) when there, else createHash. */
export const nodeSha256: Sha256 = oneShot
  ? (d) => oneShot('sha256', d, 'buffer')
  : (d) => crypto.createHash('sha256').update(d).digest();
