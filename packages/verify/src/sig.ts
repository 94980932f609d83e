// Event signatures in bulk, fast (issue 9: a 10,000-entry bundle in under 2 s in a browser).
// noble's verifyStrict spends ~1 ms of JavaScript bigint arithmetic per signature; WebCrypto's
// Ed25519 (Chromium, Firefox, Safari, Node ≥ 20 as globalThis.crypto.subtle) is native and
// runs off the main thread. Its verify is RFC 8032's cofactorless check as OpenSSL and
// BoringSSL do it (S < L, A decoded, encode([S]B - [k]A) compared with the R bytes), but it
// accepts some keys and nonces our rule refuses (small-order, non-canonical), so it runs
// only behind tlog's strictPrecheck, the same byte checks as verifyStrict: the engine decides
// only the final equation. Where WebCrypto lacks Ed25519 (or answers a known vector wrong),
// noble's verifyStrict decides. test/verify/sig-engines.test.ts holds both to one answer.
import { fromHex, hex, strictPrecheck, verifyStrict } from '@cotc/tlog';

export type SigEngineName = 'webcrypto' | 'noble';

export interface SigEngine {
  readonly name: SigEngineName;
  /** Strict Ed25519 verification (tlog verifyStrict's answers). Never rejects. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export const nobleEngine: SigEngine = {
  name: 'noble',
  verify: async (pub, msg, sig) => verifyStrict(pub, msg, sig),
};

// RFC 8032 §7.1 TEST 2 (one-byte message 0x72): a detection probe the engine must get right
// both ways before it is trusted with anything.
const PROBE_PUB = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
const PROBE_SIG = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';

type Subtle = {
  importKey(format: 'raw', data: Uint8Array, alg: { name: 'Ed25519' }, extractable: boolean, usages: string[]): Promise<unknown>;
  verify(alg: { name: 'Ed25519' }, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
};

function subtleOf(): Subtle | null {
  const c = (globalThis as { crypto?: { subtle?: unknown } }).crypto;
  const s = c?.subtle as Subtle | undefined;
  return s && typeof s.importKey === 'function' && typeof s.verify === 'function' ? s : null;
}

const MAX_KEYS = 4096;

function makeWebCryptoEngine(subtle: Subtle): SigEngine {
  // A bundle has a handful of keys and thousands of signatures by each.
  const keys = new Map<string, Promise<unknown | null>>();
  const keyOf = (pub: Uint8Array): Promise<unknown | null> => {
    const id = hex(pub);
    let k = keys.get(id);
    if (k === undefined) {
      k = subtle.importKey('raw', pub.slice(), { name: 'Ed25519' }, false, ['verify']).catch(() => null);
      if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
      keys.set(id, k);
    }
    return k;
  };
  return {
    name: 'webcrypto',
    async verify(pub, msg, sig) {
      try {
        if (!(msg instanceof Uint8Array) || !strictPrecheck(pub, sig)) return false;
        const key = await keyOf(pub);
        if (key === null) return false;
        return (await subtle.verify({ name: 'Ed25519' }, key, sig.slice(), msg)) === true;
      } catch {
        return false;
      }
    },
  };
}

let detected: Promise<SigEngine | null> | undefined;

/** WebCrypto's Ed25519 behind the strict pre-checks, or null where the runtime has none (or gets the probe wrong). */
export function webCryptoEngine(): Promise<SigEngine | null> {
  detected ??= (async () => {
    const subtle = subtleOf();
    if (subtle === null) return null;
    try {
      const e = makeWebCryptoEngine(subtle);
      const pub = fromHex(PROBE_PUB);
      const sig = fromHex(PROBE_SIG);
      const good = await e.verify(pub, new Uint8Array([0x72]), sig);
      const bad = await e.verify(pub, new Uint8Array([0x73]), sig);
      return good && !bad ? e : null;
    } catch {
      return null;
    }
  })();
  return detected;
}

/** The engine for `choice`: 'auto' (default) is WebCrypto where it works, else noble. */
export async function sigEngine(choice: 'auto' | SigEngineName = 'auto'): Promise<SigEngine> {
  if (choice === 'noble') return nobleEngine;
  const w = await webCryptoEngine();
  if (w) return w;
  if (choice === 'webcrypto') throw new Error('this runtime has no WebCrypto Ed25519');
  return nobleEngine;
}
