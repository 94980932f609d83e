// The published vectors of wire format 2 (test/vectors/cotc-map-v2.json,
// cotc-effects-v2.json; regenerate with scripts/make-map-vectors.ts) against the code: the
// roots from scratch and incrementally, the exact proofs, every tampered proof's code, the
// effects commitments and proofs. The hand-derived case of docs/wire-format-2.md §3.4 is
// recomputed here with node:crypto, so the stored hashes are not just the code's own.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryMapStore, emptyMapRoot, hex, mapRootOf, proveMap, updateMap, verifyMapProof, fromHex } from '@cotc/tlog';
import { canonicalize, commitEffects, proveEffects, verifyEffect } from '@cotc/ledger';
import { refCheck } from './map-ref.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const load = (n: string): any => JSON.parse(readFileSync(new URL(`../vectors/${n}`, import.meta.url), 'utf8'));
const M = load('cotc-map-v2.json');
const E = load('cotc-effects-v2.json');
const sha = (...p: Buffer[]) => createHash('sha256').update(Buffer.concat(p)).digest();
const rec = (r: { key: string; value: string }) => [r.key, r.value] as [string, string];

test('the hand-derived case of §3.4, hash by hash, with node:crypto', () => {
  const h = M.handDerived;
  const leaf = (k: string, v: string) => sha(Buffer.from([2]), sha(Buffer.from(k)), sha(Buffer.from(v)));
  const node = (l: Buffer, r: Buffer) => sha(Buffer.from([3]), l, r);
  const [a, b, c] = h.records.map((r: { key: string; value: string }) => leaf(r.key, r.value));
  assert.is(a.toString('hex'), h.leaves.A);
  assert.is(b.toString('hex'), h.leaves.B);
  assert.is(c.toString('hex'), h.leaves.C);
  // Paths: A starts 0…, B 110…, C 111…: root = node(A, node(EMPTY, node(B, C))).
  const bits = (k: string) => [...sha(Buffer.from(k)).subarray(0, 1)][0]!.toString(2).padStart(8, '0').slice(0, 3);
  assert.equal(h.records.map((r: { key: string }) => bits(r.key)), ['001', '110', '111']);
  const n11 = node(b, c);
  const n1 = node(Buffer.alloc(32), n11);
  assert.is(n11.toString('hex'), h.nodes['11']);
  assert.is(n1.toString('hex'), h.nodes['1']);
  assert.is(node(a, n1).toString('hex'), h.root);
  assert.is(hex(mapRootOf(h.records.map(rec))), h.root);
});

test('every map: the root from scratch and by one batch update', async () => {
  for (const m of M.maps) {
    const records = m.records.map(rec);
    assert.is(hex(mapRootOf(records)), m.root, m.name);
    const store = new MemoryMapStore();
    const u = await updateMap(store, emptyMapRoot(), 1, records);
    assert.is(hex(u.root.hash), m.root, m.name);
  }
});

test('every proof: generated exactly, verified, and by the reference checker; all three terminal kinds occur', async () => {
  const kinds = new Set<string>();
  for (const m of M.maps) {
    const records = m.records.map(rec);
    const store = new MemoryMapStore();
    const u = await updateMap(store, emptyMapRoot(), 1, records);
    store.write(u.writes);
    for (const p of M.proofs.filter((x: { map: string }) => x.map === m.name)) {
      const [g] = await proveMap(store, u.root, [p.key]);
      assert.equal(g!.proof, p.proof, `${m.name}: ${p.key}`);
      assert.is(p.depth, p.proof.siblings.length);
      assert.ok(verifyMapProof(fromHex(m.root), p.key, p.value, p.proof).ok);
      assert.ok(refCheck(Buffer.from(m.root, 'hex'), p.key, p.value, p.proof));
      kinds.add(p.kind);
    }
  }
  assert.equal([...kinds].sort(), ['absence (EMPTY)', 'absence (another leaf)', 'presence']);
});

test('every tampered proof gets its code; the reference checker refuses it too', () => {
  assert.ok(M.tampered.length >= 10);
  const codes = new Set<string>();
  for (const t of M.tampered) {
    const root = M.maps.find((m: { name: string }) => m.name === t.map).root;
    const c = verifyMapProof(fromHex(root), t.key, t.value, t.proof);
    assert.is(c.ok ? 'ok' : c.code, t.code, t.why);
    codes.add(t.code);
  }
  assert.equal([...codes].sort(), ['map_key_absent', 'map_key_present', 'map_leaf_off_path', 'map_proof_malformed', 'map_proof_noncanonical', 'map_root_mismatch']);
});

test('the update sequence: the root and count after each batch', async () => {
  const store = new MemoryMapStore();
  let root = emptyMapRoot();
  for (const s of M.updates) {
    const u = await updateMap(store, root, s.version, s.changes.map((c: { key: string; value: string | null }) => [c.key, c.value]));
    store.write(u.writes);
    root = u.root;
    assert.is(hex(root.hash), s.root, `version ${s.version}`);
    assert.is(root.count, s.count);
  }
});

test('effects: canonical leaves, commitments, proofs, and the tampered ones\' codes', async () => {
  for (const l of E.lists) {
    const effects = l.effects.map((x: { effect: unknown }) => x.effect);
    l.effects.forEach((x: { effect: unknown; canonical: string }) => assert.is(canonicalize(x.effect), x.canonical));
    assert.equal(commitEffects(effects), l.commitment, l.name);
    // Independently: RFC 9162 MTH over SHA-256(0x00 || canonical) with node:crypto.
    const mth = (hs: Buffer[]): Buffer => {
      if (hs.length === 0) return sha();
      if (hs.length === 1) return hs[0]!;
      let k = 1;
      while (k * 2 < hs.length) k *= 2;
      return sha(Buffer.from([1]), mth(hs.slice(0, k)), mth(hs.slice(k)));
    };
    assert.is(mth(l.effects.map((x: { canonical: string }) => sha(Buffer.from([0]), Buffer.from(x.canonical)))).toString('hex'), l.commitment.root);
    assert.equal(await proveEffects(effects), l.proofs);
    l.proofs.forEach((p: unknown, i: number) => assert.ok(verifyEffect(effects[i], p, l.commitment).ok));
  }
  const codes = new Set<string>();
  for (const t of E.tampered) {
    const r = verifyEffect(t.effect, t.proof, t.commitment);
    assert.is(r.ok ? 'ok' : r.code, t.code, t.why);
    codes.add(t.code);
  }
  assert.equal([...codes].sort(), ['effect_index_out_of_range', 'effect_proof_malformed', 'effect_root_mismatch']);
});

test.run();
