// A tiny reference of the state map written from docs/wire-format-2.md §3–§5 alone, with
// node:crypto and no code shared with @cotc/tlog: the root and the proof of a key computed
// recursively from the whole record set, and an independent proof checker. The
// differential tests hold packages/tlog/src/map to it.
import { createHash } from 'node:crypto';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
export const EMPTY = Buffer.alloc(32);
export const refPath = (key: string) => sha(Buffer.from(key, 'utf8'));
export const refValueHash = (v: string) => sha(Buffer.from(v, 'utf8'));
export const refLeaf = (p: Buffer, vh: Buffer) => sha(Buffer.from([2]), p, vh);
export const refNode = (l: Buffer, r: Buffer) => sha(Buffer.from([3]), l, r);
const bit = (p: Buffer, i: number) => (p[i >> 3]! >> (7 - (i % 8))) & 1;

type Rec = { p: Buffer; vh: Buffer };
const recs = (m: Map<string, string>): Rec[] => [...m].map(([k, v]) => ({ p: refPath(k), vh: refValueHash(v) }));

function hashSet(s: Rec[], depth: number): Buffer {
  if (s.length === 0) return EMPTY;
  if (s.length === 1) return refLeaf(s[0]!.p, s[0]!.vh);
  return refNode(hashSet(s.filter((r) => bit(r.p, depth) === 0), depth + 1), hashSet(s.filter((r) => bit(r.p, depth) === 1), depth + 1));
}

export function refRoot(m: Map<string, string>): Buffer {
  return hashSet(recs(m), 0);
}

/** The proof of `key` in JSON form, exactly as §4 defines it. */
export function refProve(m: Map<string, string>, key: string): { siblings: Array<string | null>; leaf?: { path: string; valueHash: string } } {
  const p = refPath(key);
  let s = recs(m);
  const top: Array<string | null> = [];
  let depth = 0;
  while (s.length >= 2) {
    const b = bit(p, depth);
    const same = s.filter((r) => bit(r.p, depth) === b);
    const other = s.filter((r) => bit(r.p, depth) !== b);
    const h = hashSet(other, depth + 1);
    top.push(other.length === 0 ? null : h.toString('hex'));
    s = same;
    depth++;
  }
  const siblings = top.reverse();
  if (s.length === 1 && !s[0]!.p.equals(p)) return { siblings, leaf: { path: s[0]!.p.toString('hex'), valueHash: s[0]!.vh.toString('hex') } };
  return { siblings };
}

/** An independent checker: true iff the proof is canonical and leads to the root. */
export function refCheck(root: Buffer, key: string, value: string | null, proof: { siblings: Array<string | null>; leaf?: { path: string; valueHash: string } }): boolean {
  const p = refPath(key);
  const d = proof.siblings.length;
  if (d > 0 && proof.siblings[0] === null) return false;
  let h: Buffer;
  if (value !== null) {
    if (proof.leaf) return false;
    h = refLeaf(p, refValueHash(value));
  } else if (proof.leaf) {
    const lp = Buffer.from(proof.leaf.path, 'hex');
    if (lp.equals(p)) return false;
    for (let i = 0; i < d; i++) if (bit(lp, i) !== bit(p, i)) return false;
    h = refLeaf(lp, Buffer.from(proof.leaf.valueHash, 'hex'));
  } else h = EMPTY;
  for (let i = 0; i < d; i++) {
    const s = proof.siblings[i];
    const sib = s === null ? EMPTY : Buffer.from(s!, 'hex');
    h = bit(p, d - 1 - i) === 1 ? refNode(sib, h) : refNode(h, sib);
  }
  return h.equals(root);
}
