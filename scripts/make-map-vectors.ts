// Writes the published vectors of wire format 2's state map and effects commitment
// (docs/wire-format-2.md §3–§5, §8): test/vectors/cotc-map-v2.json and
// test/vectors/cotc-effects-v2.json. `node --import tsx scripts/make-map-vectors.ts`
// regenerates them; test/tlog/map-vectors.test.ts checks the stored files against the code
// (and the hand-derived case against node:crypto), so a change of hashing fails there
// until the vectors are regenerated on purpose, with a new format version.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  MAP_EMPTY,
  MemoryMapStore,
  emptyMapRoot,
  hex,
  mapLeafHash,
  mapNodeHash,
  mapPath,
  mapRootOf,
  mapValueHash,
  proveMap,
  updateMap,
  verifyMapProof,
  type MapProof,
  type MapRoot,
} from '@cotc/tlog';
import { canonicalize, commitEffects, proveEffects, verifyEffect, type Effect } from '@cotc/ledger';

const out = (name: string) => fileURLToPath(new URL(`../test/vectors/${name}`, import.meta.url));

async function mapOf(records: Array<[string, string]>): Promise<{ store: MemoryMapStore; root: MapRoot }> {
  const store = new MemoryMapStore();
  const u = await updateMap(store, emptyMapRoot(), 1, records);
  store.write(u.writes);
  return { store, root: u.root };
}

// ---- the hand-derived map (§3.4 of the spec shows every hash) ----------------------------
const HAND: Array<[string, string]> = [
  ['fund/water-filters', '{"balance":"23600","currency":"CNY"}'],
  ['fund/playground', '{"balance":"5000","currency":"CNY"}'],
  ['fund/music-classroom', '{"balance":"12000","currency":"CNY"}'],
];
const [A, B, C] = HAND.map(([k, v]) => mapLeafHash(mapPath(k), mapValueHash(v)));
const n11 = mapNodeHash(B!, C!);
const n1 = mapNodeHash(MAP_EMPTY, n11);
const handRoot = mapNodeHash(A!, n1);

// ---- maps ---------------------------------------------------------------------------------
const many: Array<[string, string]> = Array.from({ length: 24 }, (_, i) => [`lot/fund-${i % 3}/p${String(i).padStart(15, '0')}`, `{"donation":"don-${i}","via":"${i % 2 ? 'tr-1' : `don-${i}`}","value":"${100 * (i + 1)}"}`]);
const maps: Array<{ name: string; records: Array<[string, string]> }> = [
  { name: 'empty', records: [] },
  { name: 'one key', records: [HAND[0]!] },
  { name: 'three keys (hand-derived, §3.4)', records: HAND },
  { name: 'twenty-four lots', records: many },
];
const probes = ['fund/elderly-meals', 'org/school-36', 'org/charity-a', 'org/operator', 'conf/disb-1', 'fund/water-filters', 'lot/fund-0/p000000000000000', 'lot/fund-1/p000000000000099'];

const mapVectors: unknown[] = [];
const proofVectors: unknown[] = [];
const tampered: unknown[] = [];
const kinds = new Set<string>();
for (const m of maps) {
  const { store, root } = await mapOf(m.records);
  if (hex(root.hash) !== hex(mapRootOf(m.records))) throw new Error('incremental ≠ from scratch');
  mapVectors.push({ name: m.name, records: m.records.map(([k, v]) => ({ key: k, value: v, path: hex(mapPath(k)), valueHash: hex(mapValueHash(v)), leafHash: hex(mapLeafHash(mapPath(k), mapValueHash(v))) })), root: hex(root.hash) });
  const keys = [...new Set([...m.records.map(([k]) => k), ...probes])];
  const got = await proveMap(store, root, keys);
  const values = new Map(m.records);
  for (const g of got) {
    const value = values.get(g.key) ?? null;
    const kind = value !== null ? 'presence' : g.proof.leaf ? 'absence (another leaf)' : 'absence (EMPTY)';
    kinds.add(kind);
    if (!verifyMapProof(root.hash, g.key, value, g.proof).ok) throw new Error('generated proof fails');
    proofVectors.push({ map: m.name, key: g.key, value, kind, depth: g.proof.siblings.length, proof: g.proof });
  }
  // Tampered proofs, each with the code it must get (§5's check order decides which).
  if (m.name === 'twenty-four lots') {
    const pres = got.find((g) => g.valueHash !== null && g.proof.siblings.length >= 2)!;
    const absLeaf = got.find((g) => g.valueHash === null && g.proof.leaf && g.proof.siblings.length >= 1)!;
    const absEmpty = got.find((g) => g.valueHash === null && !g.proof.leaf && g.proof.siblings.length >= 1);
    const v = values.get(pres.key)!;
    const flip = (h: string) => (h[0] === '0' ? '1' : '0') + h.slice(1);
    const t = (why: string, key: string, value: string | null, proof: unknown, code: string) => {
      const c = verifyMapProof(root.hash, key, value, proof);
      if (c.ok || c.code !== code) throw new Error(`tampered "${why}": got ${JSON.stringify(c)}`);
      tampered.push({ map: m.name, why, key, value, proof, code });
    };
    t('siblings is not an array', pres.key, v, { siblings: 'x' }, 'map_proof_malformed');
    t('a sibling in uppercase hex', pres.key, v, { siblings: pres.proof.siblings.map((s, i) => (i === 0 ? s!.toUpperCase() : s)) }, 'map_proof_malformed');
    t('an unknown field', pres.key, v, { ...pres.proof, depth: 3 }, 'map_proof_malformed');
    t('257 siblings', pres.key, v, { siblings: Array(257).fill('ab'.repeat(32)) }, 'map_proof_malformed');
    t('EMPTY spelled as 64 zeros', pres.key, v, { siblings: [...pres.proof.siblings.slice(0, -1), '0'.repeat(64)] }, 'map_proof_noncanonical');
    t('an EMPTY sibling under the terminal (a leaf one level too low)', pres.key, v, { siblings: [null, ...pres.proof.siblings] }, 'map_proof_noncanonical');
    t('a presence claim with an absence proof', absLeaf.key, '{"donation":"forged"}', absLeaf.proof, 'map_key_absent');
    t('an absence claim ending at the key\'s own leaf', pres.key, null, { siblings: pres.proof.siblings, leaf: { path: hex(mapPath(pres.key)), valueHash: hex(mapValueHash(v)) } }, 'map_key_present');
    t('another leaf off the key\'s path', absLeaf.key, null, { ...absLeaf.proof, leaf: { ...absLeaf.proof.leaf!, path: ((parseInt(absLeaf.proof.leaf!.path[0]!, 16) ^ 8).toString(16)) + absLeaf.proof.leaf!.path.slice(1) } }, 'map_leaf_off_path');
    t('a changed value', pres.key, v.replace('"value":"', '"value":"9'), pres.proof, 'map_root_mismatch');
    t('a flipped sibling', pres.key, v, { siblings: pres.proof.siblings.map((s, i) => (i === 1 && s ? flip(s) : s)) }, 'map_root_mismatch');
    t('a sibling dropped', pres.key, v, { siblings: pres.proof.siblings.slice(0, -1) }, 'map_root_mismatch');
    t('forged absence: a present key with its presence proof', pres.key, null, pres.proof, 'map_root_mismatch');
    t('forged absence: the neighbour\'s leaf swapped in', absLeaf.key, null, { ...absLeaf.proof, leaf: { ...absLeaf.proof.leaf!, valueHash: flip(absLeaf.proof.leaf!.valueHash) } }, 'map_root_mismatch');
    if (absEmpty) t('an EMPTY terminal claimed one level deeper', absEmpty.key, null, { siblings: ['cd'.repeat(32), ...absEmpty.proof.siblings] }, 'map_root_mismatch');
  }
}
for (const k of ['presence', 'absence (EMPTY)', 'absence (another leaf)']) if (!kinds.has(k)) throw new Error(`no ${k} proof among the vectors`);

// ---- an update sequence -----------------------------------------------------------------
const batches: Array<Array<[string, string | null]>> = [
  HAND,
  many.slice(0, 12),
  [
    ['fund/playground', '{"balance":"4000","currency":"CNY"}'],
    ['fund/water-filters', null],
    ...many.slice(12, 20),
  ],
  [...many.slice(0, 6).map(([k]) => [k, null] as [string, null]), ['fund/elderly-meals', '{"balance":"800","currency":"CNY"}'], ['never-existed', null]],
  [...many.slice(6, 20).map(([k]) => [k, null] as [string, null]), ['fund/playground', null], ['fund/music-classroom', null], ['fund/elderly-meals', null]],
];
const store = new MemoryMapStore();
let root = emptyMapRoot();
const live = new Map<string, string>();
const steps: unknown[] = [];
for (let i = 0; i < batches.length; i++) {
  const u = await updateMap(store, root, i + 1, batches[i]!);
  store.write(u.writes);
  root = u.root;
  for (const [k, v] of batches[i]!) v === null ? live.delete(k) : live.set(k, v);
  if (hex(root.hash) !== hex(mapRootOf(live))) throw new Error('update sequence: incremental ≠ from scratch');
  steps.push({ version: i + 1, changes: batches[i]!.map(([key, value]) => ({ key, value })), root: hex(root.hash), count: root.count });
}
if (root.count !== 0 || hex(root.hash) !== hex(MAP_EMPTY)) throw new Error('the sequence should end empty');

const mapFile = {
  source: 'Generated by scripts/make-map-vectors.ts (this repository) from docs/wire-format-2.md §3–§5; checked by test/tlog/map-vectors.test.ts.',
  format: 'cotc wire format 2, state map',
  hashing: {
    path: 'SHA-256(UTF-8 key)',
    valueHash: 'SHA-256(UTF-8 value)',
    leaf: 'SHA-256(0x02 || path || valueHash)',
    node: 'SHA-256(0x03 || left || right)',
    empty: hex(MAP_EMPTY),
  },
  handDerived: {
    records: HAND.map(([key, value]) => ({ key, value })),
    leaves: { A: hex(A!), B: hex(B!), C: hex(C!) },
    nodes: { '11': hex(n11), '1': hex(n1) },
    root: hex(handRoot),
  },
  maps: mapVectors,
  proofs: proofVectors,
  updates: steps,
  tampered,
};
fs.writeFileSync(out('cotc-map-v2.json'), JSON.stringify(mapFile, null, 1) + '\n');

// ---- effects ------------------------------------------------------------------------------
const eff = (d: string, via: string, value: string): Effect => ({ donation: d, via, value });
const lists: Array<{ name: string; effects: Effect[] }> = [
  { name: 'no effects (fund.open, org.keys, a donation)', effects: [] },
  { name: 'one lot', effects: [eff('don-1', 'don-1', '2500')] },
  { name: 'two lots', effects: [eff('don-1', 'don-1', '2500'), eff('don-2', 'tr-7', '100')] },
  { name: 'three lots (a split)', effects: [eff('don-1', 'don-1', '2500'), eff('don-2', 'tr-7', '100'), eff('don-3', 'don-3', '1')] },
  { name: 'seven lots', effects: Array.from({ length: 7 }, (_, i) => eff(`don-${i}`, i % 2 ? `tr-${i}` : `don-${i}`, String(1000 + i))) },
];
const effVectors: unknown[] = [];
const effTampered: unknown[] = [];
for (const l of lists) {
  const c = commitEffects(l.effects);
  const proofs = await proveEffects(l.effects);
  proofs.forEach((p, i) => {
    if (!verifyEffect(l.effects[i], p, c).ok) throw new Error('effect proof fails');
  });
  effVectors.push({ name: l.name, effects: l.effects.map((e) => ({ effect: e, canonical: canonicalize(e) })), commitment: c, proofs });
  if (l.effects.length === 7) {
    const p = proofs[3]!;
    const e = l.effects[3]!;
    const t = (why: string, effect: unknown, proof: unknown, commitment: unknown, code: string) => {
      const r = verifyEffect(effect, proof, commitment as never);
      if (r.ok || r.code !== code) throw new Error(`effects tampered "${why}": ${JSON.stringify(r)}`);
      effTampered.push({ list: l.name, why, effect, proof, commitment, code });
    };
    t('hashes is not an array', e, { index: 3, hashes: 'x' }, c, 'effect_proof_malformed');
    t('an unknown field', e, { ...p, size: 7 }, c, 'effect_proof_malformed');
    t('the index past the count', e, { ...p, index: 7 }, c, 'effect_index_out_of_range');
    t('another effect\'s index', e, { ...p, index: 2 }, c, 'effect_root_mismatch');
    t('a changed value', { ...e, value: '1004' }, p, c, 'effect_root_mismatch');
    t('a changed via', { ...e, via: 'tr-9' }, p, c, 'effect_root_mismatch');
    t('a flipped proof hash', e, { ...p, hashes: p.hashes.map((h, i) => (i === 0 ? (h[0] === '0' ? '1' : '0') + h.slice(1) : h)) }, c, 'effect_root_mismatch');
    t('an effect of another entry', e, p, commitEffects(lists[3]!.effects.concat(lists[3]!.effects, [e])), 'effect_root_mismatch');
  }
}
const effFile = {
  source: 'Generated by scripts/make-map-vectors.ts (this repository) from docs/wire-format-2.md §8; checked by test/tlog/map-vectors.test.ts.',
  format: 'cotc wire format 2, effects commitment',
  hashing: { leaf: 'SHA-256(0x00 || canonical JSON of the effect) (RFC 9162 §2.1.1)', root: 'RFC 9162 Merkle Tree Hash over the leaves in effect order', proof: 'RFC 9162 §2.1.3 inclusion proof, size = count' },
  lists: effVectors,
  tampered: effTampered,
};
fs.writeFileSync(out('cotc-effects-v2.json'), JSON.stringify(effFile, null, 1) + '\n');
console.log(`wrote ${proofVectors.length} map proofs, ${tampered.length} tampered map proofs, ${steps.length} update steps, ${effVectors.length} effect lists, ${effTampered.length} tampered effect proofs`);
