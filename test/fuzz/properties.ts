// Fuzz properties (fast-check) of every parser and verifier that reads untrusted input,
// shared by test/fuzz/parsers.test.ts (bounded, in CI) and scripts/fuzz.ts (long runs).
//
// Each property states a function's contract on hostile input:
// - it throws nothing but its documented error class (CanonicalError for the I-JSON parser
//   and canonicalize, TypeError for the byte, key and checkpoint parsers, NoteError for
//   openNote's note argument) or, for the verifiers, never throws at all;
// - what it accepts is exactly right: a parsed checkpoint, key or encoding formats back
//   to the very text it came from; a note that still opens after a mutation has the
//   original text; a mutated proof or bundle never verifies;
// - no input takes long: every run is timed, and one over SLOW_MS fails the property.
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  MemoryTree,
  NoteError,
  base64,
  formatCheckpoint,
  formatVerifierKey,
  fromBase64,
  fromHex,
  fromUtf8,
  generateKey,
  hex,
  leafHash,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyConsistency,
  verifyInclusion,
} from '@cotc/tlog';
import { CanonicalError, canonicalBytes, canonicalize, isUtcTime, parseIJson, parseIJsonBytes, splitSig, validateEnvelope } from '@cotc/ledger';
import { readCheckpoint, verifyBundle } from '@cotc/verify';
import { parseLogTrust } from '../../src/client/logtrust.ts';
import { append, newLog, sev, synthBundle } from '../verify/synthetic.ts';

/** A single run slower than this fails (a parser that goes quadratic, or worse, hangs).
 * Generous, so a loaded CI machine does not make it flaky: honest runs take microseconds. */
export const SLOW_MS = 5000;

export interface FuzzProperty {
  name: string;
  /** runs in CI (parsers.test.ts) */
  runs: number;
  /** builds the property (some need a signed note or a synthetic log first) */
  build: () => Promise<fc.IAsyncPropertyWithHooks<any> | fc.IPropertyWithHooks<any>>;
}

// ---- helpers ------------------------------------------------------------------------

function expectOnly(e: unknown, ...classes: Array<new (...a: any[]) => Error>): void {
  if (!classes.some((c) => e instanceof c)) {
    throw new Error(`threw ${(e as Error)?.constructor?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)} (allowed: ${classes.map((c) => c.name).join(', ')})`);
  }
}

/** Wraps a predicate: times it (SLOW_MS), and keeps fast-check's own failures readable. */
function timed<A extends unknown[]>(f: (...a: A) => void | boolean): (...a: A) => void {
  return (...a: A) => {
    const t = performance.now();
    const r = f(...a);
    const ms = performance.now() - t;
    if (ms > SLOW_MS) throw new Error(`one run took ${ms.toFixed(0)} ms (over ${SLOW_MS} ms)`);
    if (r === false) throw new Error('property returned false');
  };
}
function timedAsync<A extends unknown[]>(f: (...a: A) => Promise<void | boolean>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    const t = performance.now();
    const r = await f(...a);
    const ms = performance.now() - t;
    if (ms > SLOW_MS) throw new Error(`one run took ${ms.toFixed(0)} ms (over ${SLOW_MS} ms)`);
    if (r === false) throw new Error('property returned false');
  };
}

const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** Strings of any UTF-16 code units, JSON-ish text, and text from a small alphabet. */
const anyText = (alphabet: string) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
    fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 120 }),
  );

/** The I-JSON subset: null, booleans, safe integers (no -0), well-formed strings, arrays, objects. */
export const ijsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger().map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.string({ unit: 'binary', maxLength: 20 }).filter(wellFormed),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }).filter(wellFormed), tie('value'), { maxKeys: 5 }),
  ),
})).value;

type Edit = { at: number; op: 'insert' | 'delete' | 'replace' | 'duplicate' | 'truncate'; text: string; len: number };
const JSONISH = '{}[]":,\\/0123456789-+.eEtrufalsn \t\n\r\u0000\u00e9\u2028\ud800\udc00\ufeff';
const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('insert', 'delete', 'replace', 'duplicate', 'truncate'),
  text: fc.oneof(fc.string({ unit: fc.constantFrom(...JSONISH), minLength: 1, maxLength: 4 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })),
  len: fc.integer({ min: 1, max: 8 }),
});
/** Applies edits to a text (positions taken modulo its length). */
export function mutate(text: string, edits: Edit[]): string {
  let t = text;
  for (const e of edits) {
    const at = t.length === 0 ? 0 : e.at % (t.length + 1);
    switch (e.op) {
      case 'insert':
        t = t.slice(0, at) + e.text + t.slice(at);
        break;
      case 'delete':
        t = t.slice(0, at) + t.slice(at + e.len);
        break;
      case 'replace':
        t = t.slice(0, at) + e.text + t.slice(at + e.text.length);
        break;
      case 'duplicate':
        t = t.slice(0, at + e.len) + t.slice(at, at + e.len) + t.slice(at + e.len);
        break;
      case 'truncate':
        t = t.slice(0, at);
        break;
    }
  }
  return t;
}
const edits = fc.array(editArb, { minLength: 1, maxLength: 4 });

/** parseIJson's contract on one text: CanonicalError, or a value JSON.parse agrees with. */
function checkParse(text: string): void {
  let v: unknown;
  try {
    v = parseIJson(text);
  } catch (e) {
    expectOnly(e, CanonicalError);
    return;
  }
  // Accepted: it is JSON (JSON.parse agrees), and of our subset (canonicalize takes it).
  const c = canonicalize(v);
  const j = JSON.parse(text);
  if (canonicalize(j) !== c) throw new Error(`parseIJson and JSON.parse disagree on ${JSON.stringify(text)}`);
}

/** Replaces the value at a random path of a JSON value; returns null if nothing changed. */
function replaceAt(root: unknown, pick: number, value: unknown, op: 'replace' | 'delete' | 'duplicate'): unknown | null {
  const paths: Array<Array<string | number>> = [];
  const walk = (v: unknown, p: Array<string | number>) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(root, []);
  const path = paths[pick % paths.length]!;
  const copy = structuredClone(root) as any;
  if (path.length === 0) return op === 'replace' && JSON.stringify(value) !== JSON.stringify(root) ? value : null;
  let parent = copy;
  for (const k of path.slice(0, -1)) parent = parent[k];
  const last = path[path.length - 1]!;
  const before = JSON.stringify(copy);
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (op === 'duplicate' && Array.isArray(parent)) {
    parent.splice(last as number, 0, structuredClone(parent[last as number]));
  } else {
    parent[last] = value;
  }
  return JSON.stringify(copy) === before ? null : copy;
}
const jsonEdit = fc.record({ pick: fc.nat(), value: ijsonValue, op: fc.constantFrom('replace', 'replace', 'delete', 'duplicate') as fc.Arbitrary<'replace' | 'delete' | 'duplicate'> });

// ---- fixtures ------------------------------------------------------------------------

const fixtureKey = generateKey('fuzz.example/log', new Uint8Array(32).fill(7));
function fixtureCheckpoint(): string {
  return formatCheckpoint({ origin: 'fuzz.example/log', size: 123456, root: sha256(new Uint8Array([1, 2, 3])), extensions: ['ext line one'] });
}

// ---- the properties --------------------------------------------------------------------

export const properties: FuzzProperty[] = [
  {
    name: 'parseIJson: any string → CanonicalError or a value JSON.parse agrees with',
    runs: 2000,
    build: async () => fc.property(anyText(JSONISH), timed(checkParse)),
  },
  {
    name: 'parseIJson: mutations of valid JSON → CanonicalError or agreement',
    runs: 2000,
    build: async () =>
      fc.property(ijsonValue, fc.boolean(), edits, timed((v, pretty, es) => checkParse(mutate(pretty ? JSON.stringify(v, null, 2) : canonicalize(v), es)))),
  },
  {
    name: 'parseIJsonBytes: any bytes → CanonicalError, or strict UTF-8 that parseIJson accepts alike',
    runs: 2000,
    build: async () =>
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.tuple(ijsonValue, fc.nat(), fc.nat({ max: 255 })).map(([v, at, b]) => {
          const bytes = new TextEncoder().encode(canonicalize(v));
          if (bytes.length > 0) bytes[at % bytes.length] = b;
          return bytes;
        })),
        timed((bytes) => {
          let v: unknown;
          try {
            v = parseIJsonBytes(bytes);
          } catch (e) {
            expectOnly(e, CanonicalError);
            return;
          }
          const text = fromUtf8(bytes); // must be valid UTF-8 (TypeError otherwise)
          if (canonicalize(parseIJson(text)) !== canonicalize(v)) throw new Error('bytes and text parse differently');
        }),
      ),
  },
  {
    name: 'canonicalize: I-JSON values round-trip exactly (RFC 8785 is idempotent)',
    runs: 1000,
    build: async () =>
      fc.property(
        ijsonValue,
        timed((v) => {
          const c = canonicalize(v);
          if (canonicalize(parseIJson(c)) !== c) throw new Error(`not idempotent: ${c}`);
          if (canonicalize(parseIJson(JSON.stringify(v, null, 1))) !== c) throw new Error('pretty text canonicalizes differently');
          if (new TextDecoder().decode(canonicalBytes(v)) !== c) throw new Error('canonicalBytes differs');
        }),
      ),
  },
  {
    name: 'canonicalize: anything → a string or CanonicalError',
    runs: 1000,
    build: async () =>
      fc.property(
        fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true, withObjectString: true }),
        timed((v) => {
          try {
            const c = canonicalize(v);
            if (typeof c !== 'string') throw new Error('not a string');
            parseIJson(c); // what it writes, we read
          } catch (e) {
            expectOnly(e, CanonicalError);
          }
        }),
      ),
  },
  {
    name: 'parseCheckpoint: strings and mutated checkpoints → TypeError, or it formats back to the same text',
    runs: 2000,
    build: async () => {
      const valid = fixtureCheckpoint();
      return fc.property(
        fc.oneof(anyText('abc/.\n0123456789+=AQ'), edits.map((es) => mutate(valid, es))),
        timed((text) => {
          let cp;
          try {
            cp = parseCheckpoint(text);
          } catch (e) {
            expectOnly(e, TypeError);
            return;
          }
          if (formatCheckpoint(cp) !== text) throw new Error(`accepted a checkpoint that does not round-trip: ${JSON.stringify(text)}`);
        }),
      );
    },
  },
  {
    name: 'openNote: mutated signed checkpoints → NoteError, or the original text (the signature holds)',
    runs: 300,
    build: async () => {
      const text = fixtureCheckpoint();
      const note = signNote(text, fixtureKey.signerKey);
      const other = generateKey('someone.else', new Uint8Array(32).fill(9));
      const cosigned = signNote(note, other.signerKey);
      return fc.property(
        fc.oneof(fc.constant(note), fc.constant(cosigned)),
        fc.oneof(edits, fc.constant([] as Edit[])),
        fc.boolean(),
        timed((base, es, asBytes) => {
          const m = mutate(base, es);
          let opened;
          try {
            opened = openNote(asBytes ? new TextEncoder().encode(m) : m, [fixtureKey.verifierKey]);
          } catch (e) {
            expectOnly(e, NoteError);
            return;
          }
          if (opened.text !== text) throw new Error(`opened with a different text: ${JSON.stringify(opened.text)}`);
          if (!opened.verified.includes('fuzz.example/log')) throw new Error('opened without the key');
          if (formatCheckpoint(parseCheckpoint(opened.text)) !== text) throw new Error('the checkpoint changed');
        }),
      );
    },
  },
  {
    name: 'openNote: any string or bytes → NoteError',
    runs: 1000,
    build: async () =>
      fc.property(
        fc.oneof(anyText('\n\u2014 abc+=/AQ0123456789'), fc.uint8Array({ maxLength: 100 })),
        timed((note) => {
          try {
            openNote(note, [fixtureKey.verifierKey]);
          } catch (e) {
            expectOnly(e, NoteError);
            return;
          }
          throw new Error('a random note opened');
        }),
      ),
  },
  {
    name: 'readCheckpoint (@cotc/verify): mutated notes → problems, never a throw',
    runs: 300,
    build: async () => {
      const note = signNote(fixtureCheckpoint(), fixtureKey.signerKey);
      return fc.property(
        edits,
        timed((es) => {
          const m = mutate(note, es);
          const r = readCheckpoint(m, fixtureKey.verifierKey);
          if (r.ok && r.checkpoint.text !== m) throw new Error('text not kept');
          if (r.ok && (r.checkpoint.size !== 123456 || r.checkpoint.root !== hex(sha256(new Uint8Array([1, 2, 3]))) || r.checkpoint.origin !== 'fuzz.example/log')) {
            throw new Error(`accepted a changed checkpoint: ${JSON.stringify(m)}`);
          }
        }),
      );
    },
  },
  {
    name: 'parseVerifierKey / parseSignerKey: random and mutated keys → TypeError, or the exact key string back',
    runs: 500,
    build: async () => {
      const k = generateKey('charity.example', new Uint8Array(32).fill(3));
      return fc.property(
        fc.oneof(anyText('abc+0123456789abcdefAQ/=PRIVATEKY'), edits.map((es) => mutate(k.verifierKey, es)), edits.map((es) => mutate(k.signerKey, es))),
        timed((s) => {
          try {
            const v = parseVerifierKey(s);
            if (formatVerifierKey(v.name, v.publicKey) !== s || v.key !== s) throw new Error(`verifier key does not round-trip: ${JSON.stringify(s)}`);
          } catch (e) {
            expectOnly(e, TypeError);
          }
          try {
            const sk = parseSignerKey(s);
            if (generateKey(sk.name, sk.seed).signerKey !== s) throw new Error(`signer key does not round-trip: ${JSON.stringify(s)}`);
          } catch (e) {
            expectOnly(e, TypeError);
          }
        }),
      );
    },
  },
  {
    name: 'fromBase64 / fromHex: TypeError, or the canonical spelling round-trips',
    runs: 3000,
    build: async () =>
      fc.property(
        fc.oneof(anyText('ABCDEFabcdef0123456789+/=-_ '), fc.uint8Array({ maxLength: 40 }).map(base64), fc.uint8Array({ maxLength: 40 }).map(hex)),
        timed((s) => {
          try {
            if (base64(fromBase64(s)) !== s) throw new Error(`base64 ${JSON.stringify(s)} does not round-trip`);
          } catch (e) {
            expectOnly(e, TypeError);
          }
          try {
            if (hex(fromHex(s)) !== s) throw new Error(`hex ${JSON.stringify(s)} does not round-trip`);
          } catch (e) {
            expectOnly(e, TypeError);
          }
          const sp = splitSig(s);
          if (sp !== null && (sp.keyId.length !== 4 || sp.signature.length !== 64 || base64(new Uint8Array([...sp.keyId, ...sp.signature])) !== s)) throw new Error('splitSig');
        }),
      ),
  },
  {
    name: 'verifyInclusion / verifyConsistency: random arguments → false, never a throw',
    runs: 2000,
    build: async () => {
      const junk = fc.oneof(fc.anything(), fc.integer(), fc.double(), fc.uint8Array({ minLength: 31, maxLength: 33 }));
      const hash = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), junk);
      const proof = fc.oneof(fc.array(hash, { maxLength: 70 }), junk);
      const num = fc.oneof(fc.nat({ max: 1000 }), fc.integer(), fc.double(), junk);
      return fc.property(
        hash,
        num,
        num,
        proof,
        hash,
        hash,
        timed((a, i, n, p, r1, r2) => {
          const x = verifyInclusion(a as any, i as any, n as any, p as any, r1 as any);
          const y = verifyConsistency(i as any, n as any, p as any, r1 as any, r2 as any);
          if (typeof x !== 'boolean' || typeof y !== 'boolean') throw new Error('not a boolean');
        }),
      );
    },
  },
  {
    name: 'verifyInclusion / verifyConsistency: real proofs verify; any mutation of a hash, the leaf, a root or the index does not',
    runs: 300,
    build: async () =>
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        timedAsync(async (n, a, b, pick, bit) => {
          const tree = new MemoryTree();
          const leaves = Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${i}`)));
          for (const l of leaves) await tree.append(l);
          const root = await tree.root(n);
          const i = a % n;
          const proof = await tree.inclusionProof(i, n);
          if (!verifyInclusion(leaves[i]!, i, n, proof, root)) throw new Error('a real inclusion proof fails');
          const flip = (h: Uint8Array) => {
            const c = h.slice();
            c[bit % 32]! ^= 1 << (bit % 8);
            return c;
          };
          const k = proof.length ? pick % proof.length : 0;
          if (proof.length && verifyInclusion(leaves[i]!, i, n, proof.map((h, j) => (j === k ? flip(h) : h)), root)) throw new Error('a flipped proof hash verifies');
          if (verifyInclusion(flip(leaves[i]!), i, n, proof, root)) throw new Error('a flipped leaf verifies');
          if (verifyInclusion(leaves[i]!, i, n, proof, flip(root))) throw new Error('a flipped root verifies');
          if (n > 1 && verifyInclusion(leaves[i]!, (i + 1 + (pick % (n - 1))) % n, n, proof, root)) throw new Error('another index verifies');
          if (verifyInclusion(leaves[i]!, i, n, [...proof, root], root)) throw new Error('a longer proof verifies');
          if (proof.length && verifyInclusion(leaves[i]!, i, n, proof.slice(1), root)) throw new Error('a shorter proof verifies');
          const m = 1 + (b % n);
          const cproof = await tree.consistencyProof(m, n);
          const r1 = await tree.root(m);
          if (!verifyConsistency(m, n, cproof, r1, root)) throw new Error('a real consistency proof fails');
          if (verifyConsistency(m, n, cproof, flip(r1), root)) throw new Error('a flipped old root is consistent');
          if (verifyConsistency(m, n, cproof, r1, flip(root))) throw new Error('a flipped new root is consistent');
          if (cproof.length) {
            const kk = pick % cproof.length;
            if (verifyConsistency(m, n, cproof.map((h, j) => (j === kk ? flip(h) : h)), r1, root)) throw new Error('a flipped consistency hash verifies');
            if (verifyConsistency(m, n, cproof.slice(0, -1), r1, root)) throw new Error('a shorter consistency proof verifies');
          }
        }),
      ),
  },
  {
    name: 'validateEnvelope: any value → ok or a 400 schema rejection, never a throw',
    runs: 2000,
    build: async () =>
      fc.property(
        fc.oneof(fc.anything(), ijsonValue),
        timed((v) => {
          const r = validateEnvelope(v);
          if (!r.ok && (r.code !== 'schema' || r.status !== 400 || typeof r.message !== 'string')) throw new Error(`odd rejection ${JSON.stringify(r)}`);
        }),
      ),
  },
  {
    name: 'validateEnvelope: mutated valid envelopes → a 400 schema rejection, or an envelope that still keeps every rule',
    runs: 1000,
    build: async () => {
      const k = generateKey('charity', new Uint8Array(32).fill(5));
      const { signEvent } = await import('@cotc/ledger');
      const bodies: Array<[string, unknown]> = [
        ['donation', { fund: 'water', amount: { currency: 'CNY', value: '1000' }, donor: 'a'.repeat(64), channel: 'goods-for-good' }],
        ['disbursement', { fund: 'water', amount: { currency: 'CNY', value: '5' }, payee: 'Filter Co', purpose: 'filters', receipts: [{ sha256: 'b'.repeat(64), name: 'invoice.pdf' }] }],
        ['transfer', { from: 'a', to: 'b', amount: { currency: 'USD', value: '9223372036854775807' }, memo: 'grant' }],
        ['org.register', { org: 'x', name: 'X', roles: ['charity', 'payee'], keys: [k.verifierKey] }],
        ['confirmation', { disbursement: 'd1', statement: 'delivered', evidence: [] }],
      ];
      const envs: Array<Record<string, unknown> & { type: string }> = bodies.map(([type, body]) => signEvent({ v: 1, type, id: `e-${type}`, org: 'charity', time: '2024-05-01T12:00:00.123Z', body } as never, k.signerKey));
      for (const e of envs) if (!validateEnvelope(e).ok) throw new Error(`fixture ${String(e.type)} does not validate`);
      return fc.property(
        fc.constantFrom(...envs),
        jsonEdit,
        timed((env, { pick, value, op }) => {
          const m = replaceAt(env, pick, value, op);
          if (m === null) return;
          const r = validateEnvelope(m);
          if (!r.ok) {
            if (r.code !== 'schema') throw new Error(r.code);
            return;
          }
          const e = r.event as any;
          const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
          if (e.v !== 1 || !ID.test(e.id) || !ID.test(e.org) || !isUtcTime(e.time) || typeof e.sig !== 'string' || splitSig(e.sig) === null) {
            throw new Error(`accepted a broken envelope ${JSON.stringify(e)}`);
          }
          const amount = e.body?.amount;
          if (amount !== undefined && (!/^[A-Z]{3}$/.test(amount.currency) || !/^[1-9][0-9]{0,18}$/.test(amount.value))) throw new Error(`accepted amount ${JSON.stringify(amount)}`);
          canonicalBytes(e); // what it accepts can be signed and hashed
        }),
      );
    },
  },
  {
    name: 'parseLogTrust: any value (a state file, localStorage) → a trust state, never a throw',
    runs: 1000,
    build: async () =>
      fc.property(
        fc.oneof(
          fc.anything(),
          ijsonValue,
          fc.dictionary(fc.string(), fc.anything()).map((servers) => ({ servers })),
          fc.dictionary(fc.string(), fc.anything()).map((logs) => ({ version: 1, logs })),
          fc.record({ version: fc.constant(2), logs: fc.anything(), servers: fc.anything() }),
        ),
        timed((v) => {
          const st = parseLogTrust(v);
          if (typeof st !== 'object' || typeof st.logs !== 'object' || typeof st.servers !== 'object') throw new Error('not a trust state');
        }),
      ),
  },
  {
    name: 'verifyBundle: mutations of a valid synthetic bundle → ok false with problems, never a throw',
    runs: 150,
    build: async () => {
      const { bundle, logKey } = await syntheticBundle();
      const good = await verifyBundle(bundle, { logKey });
      if (!good.ok) throw new Error(`the fixture bundle does not verify: ${JSON.stringify(good.problems)}`);
      return fc.asyncProperty(
        jsonEdit,
        timedAsync(async ({ pick, value, op }) => {
          const m = replaceAt(bundle, pick, value, op);
          if (m === null) return;
          const r = await verifyBundle(m, { logKey });
          if (r.ok || r.problems.length === 0) throw new Error(`a mutated bundle verifies: ${JSON.stringify(m).slice(0, 400)}`);
        }),
      );
    },
  },
  {
    name: 'verifyBundle: byte mutations of entry data, proofs and the checkpoint → ok false',
    runs: 150,
    build: async () => {
      const { bundle, logKey } = await syntheticBundle();
      return fc.asyncProperty(
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom('data', 'proof', 'checkpoint'),
        timedAsync(async (which, at, bit, what) => {
          const b = structuredClone(bundle) as any;
          const e = b.entries[which % b.entries.length];
          if (what === 'data') {
            const bytes = fromBase64(e.data);
            bytes[at % bytes.length]! ^= 1 << bit;
            e.data = base64(bytes);
          } else if (what === 'proof') {
            if (e.proof.hashes.length === 0) return;
            const k = at % e.proof.hashes.length;
            const h = fromHex(e.proof.hashes[k]);
            h[at % 32]! ^= 1 << bit;
            e.proof.hashes[k] = hex(h);
          } else {
            const t = new TextEncoder().encode(b.checkpoint);
            const i = at % t.length;
            t[i] = t[i]! ^ (1 << bit);
            try {
              b.checkpoint = new TextDecoder('utf-8', { fatal: true }).decode(t);
            } catch {
              return;
            }
          }
          const r = await verifyBundle(b, { logKey });
          if (r.ok) throw new Error(`a flipped ${what} verifies`);
        }),
      );
    },
  },
  {
    name: 'verifyBundle: any value as a bundle → ok false, never a throw',
    runs: 300,
    build: async () => {
      const { logKey } = await syntheticBundle();
      return fc.asyncProperty(
        fc.oneof(fc.anything(), ijsonValue, fc.record({ version: fc.constant(1), checkpoint: fc.string(), entries: fc.array(fc.anything(), { maxLength: 3 }), trace: fc.anything() })),
        timedAsync(async (v) => {
          const r = await verifyBundle(v, { logKey });
          if (r.ok) throw new Error('random bundle verifies');
        }),
      );
    },
  },
];

let synthetic: Promise<{ bundle: unknown; logKey: string }> | undefined;
/** One small log (a donation, a grant, two disbursements, a confirmation, a reversal) and the trace bundle of its donation. */
export function syntheticBundle(): Promise<{ bundle: unknown; logKey: string }> {
  synthetic ??= (async () => {
    const log = await newLog('fuzz.example/log');
    const { org } = await import('../verify/synthetic.ts');
    const charity = org('charity');
    const school = org('school');
    const auditor = org('auditor');
    const reg = (o: { id: string; verifierKey: string }, roles: string[]) => sev(log.operator, 'org.register', { org: o.id, name: o.id, roles, keys: [o.verifierKey] }, `reg-${o.id}`);
    await append(log, reg(charity, ['charity']));
    await append(log, reg(school, ['charity']));
    await append(log, reg(auditor, ['auditor']));
    await append(log, sev(charity, 'fund.open', { fund: 'water', name: 'Water', currency: 'CNY', restricted: true, purpose: 'water filters' }, 'open-water'));
    await append(log, sev(school, 'fund.open', { fund: 'school', name: 'School', currency: 'CNY', restricted: true, purpose: 'install' }, 'open-school'));
    await append(log, sev(charity, 'donation', { fund: 'water', amount: { currency: 'CNY', value: '1000' }, donor: 'c'.repeat(64), channel: 'steps' }, 'd1'));
    await append(log, sev(charity, 'transfer', { from: 'water', to: 'school', amount: { currency: 'CNY', value: '600' }, memo: 'grant' }, 't1'));
    await append(log, sev(school, 'disbursement', { fund: 'school', amount: { currency: 'CNY', value: '400' }, payee: 'Filter Co', purpose: '236 water filters', receipts: [{ sha256: 'd'.repeat(64), name: 'invoice.pdf' }] }, 'p1'));
    await append(log, sev(auditor, 'confirmation', { disbursement: 'p1', statement: 'installed', evidence: [] }, 'c1'));
    await append(log, sev(school, 'disbursement', { fund: 'school', amount: { currency: 'CNY', value: '100' }, payee: 'Pipe Co', purpose: 'pipes', receipts: [] }, 'p2'));
    await append(log, sev(school, 'reversal', { event: 'p2', reason: 'returned' }, 'r2'));
    const bundle = await synthBundle(log, 'd1');
    return { bundle: JSON.parse(JSON.stringify(bundle)), logKey: log.logKey };
  })();
  return synthetic;
}

export interface RunOptions {
  numRuns?: number;
  /** stop a property after this long (fast-check interruptAfterTimeLimit) */
  timeLimitMs?: number;
  seed?: number;
}

export interface RunReport {
  name: string;
  runs: number;
  ms: number;
  failed: boolean;
  interrupted: boolean;
  message?: string;
}

/** Runs one property; returns its report (the counterexample in `message` on failure). */
export async function runProperty(p: FuzzProperty, opts: RunOptions = {}): Promise<RunReport> {
  const t0 = performance.now();
  const prop = await p.build();
  const params: fc.Parameters<any> = { numRuns: opts.numRuns ?? p.runs, seed: opts.seed };
  if (opts.timeLimitMs !== undefined) {
    params.interruptAfterTimeLimit = opts.timeLimitMs;
    params.markInterruptAsFailure = false;
  }
  const d = await fc.check(prop as any, params);
  const ms = performance.now() - t0;
  const base = { name: p.name, runs: d.numRuns, ms, interrupted: d.interrupted };
  if (!d.failed) return { ...base, failed: false };
  return { ...base, failed: true, message: fc.defaultReportMessage(d) ?? 'failed' };
}
