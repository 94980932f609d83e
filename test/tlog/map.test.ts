// The state map (packages/tlog/src/map): incremental roots against the from-scratch
// reference (map-ref.ts, node:crypto, written from the spec alone), proofs of presence and
// absence for every key, proofs against older versions, forged and mutated proofs, flipped
// bytes in stored nodes, one batched read per level. Random key sets and update sequences
// with fast-check, for every stride (the hashes must not depend on how nodes are stored).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  MAP_PROBLEM_CODES,
  MAP_STRIDES,
  MapCorruptError,
  MapPageCache,
  MemoryMapStore,
  emptyMapRoot,
  hex,
  mapPath,
  mapRootOf,
  proveMap,
  readMapRoot,
  updateMap,
  verifyMapProof,
  type MapProof,
  type MapRoot,
  type MapStride,
} from '@cotc/tlog';
import { refCheck, refProve, refRoot } from './map-ref.ts';

type Batch = Array<[number, number | null]>; // [key index, value index | null]
const keyOf = (i: number) => `lot/fund-${i % 7}/p${String(i).padStart(15, '0')}`;
const valOf = (v: number) => JSON.stringify({ donation: `d${v}`, via: `t${v % 5}`, value: String(v + 1) });

const batchArb = (universe: number) =>
  fc.uniqueArray(fc.tuple(fc.nat(universe - 1), fc.option(fc.nat(1000), { freq: 3 })), { selector: (t) => t[0], minLength: 0, maxLength: 40 }) as fc.Arbitrary<Batch>;
const strideArb = fc.constantFrom(...MAP_STRIDES);

interface Run {
  store: MemoryMapStore;
  roots: MapRoot[];
  states: Array<Map<string, string>>;
}

async function run(stride: MapStride, batches: Batch[]): Promise<Run> {
  const store = new MemoryMapStore();
  let root = emptyMapRoot();
  const live = new Map<string, string>();
  const roots = [root];
  const states = [new Map(live)];
  for (let i = 0; i < batches.length; i++) {
    const changes = batches[i]!.map(([k, v]) => [keyOf(k), v === null ? null : valOf(v)] as [string, string | null]);
    const before = store.calls;
    const u = await updateMap(store, root, i + 1, changes, { stride });
    assert.is(store.calls - before, u.reads, 'reads counted');
    // One read per page level touched: never more than the tree has levels of pages.
    assert.ok(u.reads <= Math.ceil(256 / stride));
    store.write(u.writes);
    root = u.root;
    for (const [k, v] of changes) v === null ? live.delete(k) : live.set(k, v);
    roots.push(root);
    states.push(new Map(live));
  }
  return { store, roots, states };
}

test('incremental roots equal the from-scratch roots (reference and mapRootOf), every batch, every stride', async () => {
  await fc.assert(
    fc.asyncProperty(strideArb, fc.array(batchArb(120), { minLength: 1, maxLength: 12 }), async (stride, batches) => {
      const r = await run(stride, batches);
      for (let v = 0; v < r.roots.length; v++) {
        assert.is(hex(r.roots[v]!.hash), refRoot(r.states[v]!).toString('hex'), `root at version ${v}`);
        assert.is(hex(mapRootOf(r.states[v]!)), hex(r.roots[v]!.hash));
        assert.is(r.roots[v]!.count, r.states[v]!.size);
      }
    }),
    { numRuns: 60 },
  );
});

test('every key proves presence or absence, exactly the reference proof, at the last and at every older version', async () => {
  await fc.assert(
    fc.asyncProperty(strideArb, fc.array(batchArb(60), { minLength: 1, maxLength: 8 }), async (stride, batches) => {
      const r = await run(stride, batches);
      const keys = Array.from({ length: 60 }, (_, i) => keyOf(i));
      for (let v = 0; v < r.roots.length; v++) {
        const root = r.roots[v]!;
        const state = r.states[v]!;
        const before = r.store.calls;
        const got = await proveMap(r.store, root, keys, { stride });
        assert.ok(r.store.calls - before <= Math.ceil(256 / stride), 'one read per level for the whole run of keys');
        for (const g of got) {
          const value = state.get(g.key) ?? null;
          assert.equal(g.proof, refProve(state, g.key), `proof of ${g.key} at version ${v}`);
          assert.is(g.valueHash === null, value === null);
          const c = verifyMapProof(root.hash, g.key, value, g.proof);
          assert.ok(c.ok, `${g.key}@${v}: ${JSON.stringify(c)}`);
          assert.ok(refCheck(Buffer.from(root.hash), g.key, value, g.proof));
          // The opposite claim fails: a present key has no absence proof, an absent one no
          // presence proof (with any value).
          assert.not.ok(verifyMapProof(root.hash, g.key, value === null ? 'x' : null, g.proof).ok);
          if (value !== null) assert.not.ok(verifyMapProof(root.hash, g.key, value + ' ', g.proof).ok);
        }
      }
    }),
    { numRuns: 40 },
  );
});

test('a spent or changed record: its old presence proof fails against the new root; a forged absence of a present key fails', async () => {
  await fc.assert(
    fc.asyncProperty(strideArb, batchArb(40), fc.nat(39), async (stride, first, victim) => {
      const k = keyOf(victim);
      const r = await run(stride, [[...first.filter(([i]) => i !== victim), [victim, 7]], [[victim, null]]]);
      const [old] = await proveMap(r.store, r.roots[1]!, [k], { stride });
      assert.ok(verifyMapProof(r.roots[1]!.hash, k, valOf(7), old!.proof).ok);
      assert.not.ok(verifyMapProof(r.roots[2]!.hash, k, valOf(7), old!.proof).ok, 'spent lot still proven live');
      // Forged absence at version 1, where k is present: its presence proof, its neighbour's
      // absence proof, or the version-2 absence proof.
      assert.not.ok(verifyMapProof(r.roots[1]!.hash, k, null, old!.proof).ok);
      const [now] = await proveMap(r.store, r.roots[2]!, [k], { stride });
      assert.ok(verifyMapProof(r.roots[2]!.hash, k, null, now!.proof).ok);
      assert.not.ok(verifyMapProof(r.roots[1]!.hash, k, null, now!.proof).ok, 'absence at v2 passed off at v1');
      for (let j = 0; j < 40; j++) {
        if (j === victim) continue;
        const [n] = await proveMap(r.store, r.roots[1]!, [keyOf(j)], { stride });
        if (n!.valueHash === null) assert.not.ok(verifyMapProof(r.roots[1]!.hash, k, null, n!.proof).ok);
      }
    }),
    { numRuns: 40 },
  );
});

/** Every single change of a proof's JSON: each hex digit of each hash bumped, each null
 * made a hash and back, a sibling dropped, added, or two swapped, the leaf added, removed
 * or changed, an extra field. */
function mutations(p: MapProof): MapProof[] {
  const out: MapProof[] = [];
  const clone = (): MapProof => JSON.parse(JSON.stringify(p));
  const bump = (s: string, i: number) => s.slice(0, i) + ((parseInt(s[i]!, 16) + 1) % 16).toString(16) + s.slice(i + 1);
  p.siblings.forEach((s, i) => {
    if (s === null) {
      const q = clone();
      q.siblings[i] = 'ab'.repeat(32);
      out.push(q);
    } else {
      for (const j of [0, 31, 63]) {
        const q = clone();
        q.siblings[i] = bump(s, j);
        out.push(q);
      }
      const q = clone();
      q.siblings[i] = null;
      out.push(q);
    }
  });
  if (p.siblings.length > 0) {
    const q = clone();
    q.siblings.pop();
    out.push(q);
    const q2 = clone();
    q2.siblings.shift();
    out.push(q2);
  }
  const q3 = clone();
  q3.siblings.push('cd'.repeat(32));
  out.push(q3);
  const q4 = clone();
  q4.siblings.unshift('ef'.repeat(32));
  out.push(q4);
  for (let i = 0; i + 1 < p.siblings.length; i++) {
    if (p.siblings[i] === p.siblings[i + 1]) continue;
    const q = clone();
    [q.siblings[i], q.siblings[i + 1]] = [q.siblings[i + 1]!, q.siblings[i]!];
    out.push(q);
  }
  if (p.leaf) {
    for (const f of ['path', 'valueHash'] as const) {
      for (const j of [0, 40, 63]) {
        const q = clone();
        q.leaf![f] = bump(q.leaf![f], j);
        out.push(q);
      }
    }
    const q = clone();
    delete q.leaf;
    out.push(q);
  } else {
    const q = clone();
    q.leaf = { path: '12'.repeat(32), valueHash: '34'.repeat(32) };
    out.push(q);
  }
  out.push({ ...clone(), extra: 1 } as MapProof);
  return out;
}

test('any change to a proof fails verification, and the reference checker agrees', async () => {
  await fc.assert(
    fc.asyncProperty(strideArb, fc.array(batchArb(80), { minLength: 1, maxLength: 4 }), fc.nat(79), async (stride, batches, ki) => {
      const r = await run(stride, batches);
      const root = r.roots.at(-1)!;
      const state = r.states.at(-1)!;
      const k = keyOf(ki);
      const [g] = await proveMap(r.store, root, [k], { stride });
      const value = state.get(k) ?? null;
      for (const m of mutations(g!.proof)) {
        const c = verifyMapProof(root.hash, k, value, m);
        assert.not.ok(c.ok, `mutation verified: ${JSON.stringify(m)}`);
        if (!c.ok) assert.ok(MAP_PROBLEM_CODES.includes(c.code));
      }
    }),
    { numRuns: 60 },
  );
});

test('every flipped bit of every byte of a proof\'s JSON text fails (to parse, or to verify)', async () => {
  await fc.assert(
    fc.asyncProperty(strideArb, batchArb(60), fc.nat(59), fc.nat(7), async (stride, batch, ki, bitNo) => {
      const r = await run(stride, [batch]);
      const root = r.roots[1]!;
      const k = keyOf(ki);
      const [g] = await proveMap(r.store, root, [k], { stride });
      const value = r.states[1]!.get(k) ?? null;
      const text = JSON.stringify(g!.proof);
      for (let i = 0; i < text.length; i++) {
        const t = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << bitNo)) + text.slice(i + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(t);
        } catch {
          continue;
        }
        assert.not.ok(verifyMapProof(root.hash, k, value, parsed).ok, `byte ${i} bit ${bitNo}: ${t}`);
      }
    }),
    { numRuns: 40 },
  );
});

test('each problem code for its failure, in check order; hostile shapes never throw', () => {
  const recs = new Map([...Array(30).keys()].map((i) => [keyOf(i), valOf(i)]));
  const root = refRoot(recs);
  const rootU = new Uint8Array(root);
  const absentKey = [...Array(200).keys()].map((i) => `absent-${i}`).find((k) => refProve(recs, k).leaf !== undefined)!;
  const emptyKey = [...Array(200).keys()].map((i) => `absent-${i}`).find((k) => refProve(recs, k).leaf === undefined)!;
  assert.ok(absentKey !== undefined && emptyKey !== undefined, 'both kinds of absence occur');
  const present = refProve(recs, keyOf(3));
  const byLeaf = refProve(recs, absentKey);
  const byEmpty = refProve(recs, emptyKey);
  assert.ok(verifyMapProof(rootU, keyOf(3), valOf(3), present).ok);
  assert.ok(verifyMapProof(rootU, absentKey, null, byLeaf).ok);
  assert.ok(verifyMapProof(rootU, emptyKey, null, byEmpty).ok);
  const code = (key: string, value: string | null, p: unknown) => {
    const c = verifyMapProof(rootU, key, value, p);
    return c.ok ? 'ok' : c.code;
  };
  for (const bad of [null, 1, 'x', [], { siblings: 'x' }, { siblings: [1] }, { siblings: ['AB'.repeat(32)] }, { siblings: Array(257).fill(null) }, { siblings: [], leaf: 1 }, { siblings: [], leaf: { path: 'x', valueHash: 'y' } }, { siblings: [], more: 1 }]) {
    assert.is(code(keyOf(3), valOf(3), bad), 'map_proof_malformed', JSON.stringify(bad)?.slice(0, 60));
  }
  assert.is(code(keyOf(3), valOf(3), { siblings: ['0'.repeat(64), ...present.siblings] }), 'map_proof_noncanonical');
  assert.is(code(keyOf(3), valOf(3), { siblings: [null, ...present.siblings] }), 'map_proof_noncanonical');
  assert.is(code(absentKey, valOf(3), byLeaf), 'map_key_absent');
  assert.is(code(keyOf(3), null, { siblings: present.siblings, leaf: { path: hex(mapPath(keyOf(3))), valueHash: '11'.repeat(32) } }), 'map_key_present');
  // The neighbour's leaf with its first bit flipped: off the key's path (30 records: depth ≥ 1).
  assert.ok(byLeaf.siblings.length > 0);
  assert.is(code(absentKey, null, { siblings: byLeaf.siblings, leaf: { path: flipTop(byLeaf.leaf!.path), valueHash: byLeaf.leaf!.valueHash } }), 'map_leaf_off_path');
  assert.is(code(keyOf(3), valOf(4), present), 'map_root_mismatch');
  assert.is(code(emptyKey, null, { siblings: byEmpty.siblings.slice(1) }), byEmpty.siblings[1] === null ? 'map_proof_noncanonical' : 'map_root_mismatch');
  assert.throws(() => verifyMapProof(rootU, 1 as unknown as string, null, present), /key/);
  assert.throws(() => verifyMapProof(new Uint8Array(3), keyOf(3), null, present), /root/);
});

const flipTop = (h: string) => ((parseInt(h[0]!, 16) ^ 8).toString(16)) + h.slice(1);

test('a flipped byte in any stored page or root is caught at read, or the proofs it yields fail', async () => {
  await fc.assert(
    fc.asyncProperty(strideArb, fc.array(batchArb(50), { minLength: 2, maxLength: 5 }), fc.nat(), fc.nat(), async (stride, batches, pick, at) => {
      const r = await run(stride, batches);
      const root = r.roots.at(-1)!;
      const state = r.states.at(-1)!;
      if (state.size < 2) return;
      // Records reachable from the last root: its root record and the pages of its proofs.
      // (Pages never listed stale are exactly those of the last root.)
      const stale = new Set([...r.store.records].filter(([k]) => k.startsWith('map/s/')).flatMap(([, v]) => JSON.parse(v) as string[]));
      const reachable = [...r.store.records.keys()].filter((k) => (k.startsWith('map/n/') && !stale.has(k)) || k === `map/r/${String(root.version).padStart(16, '0')}`);
      const key = reachable[pick % reachable.length]!;
      const text = r.store.records.get(key)!;
      const i = at % text.length;
      const flipped = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << (at % 5))) + text.slice(i + 1);
      if (key.startsWith('map/r/') && !/"hash"|"child"/.test(text.slice(Math.max(0, text.lastIndexOf('"', i) - 6), i + 1))) return; // count: informative, not hashed
      r.store.records.set(key, flipped);
      const keys = [...state.keys()];
      let caught = false;
      try {
        const rt = await readMapRoot(r.store, root.version);
        const got = await proveMap(r.store, rt!, keys, { stride });
        caught = got.some((g) => !verifyMapProof(root.hash, g.key, state.get(g.key)!, g.proof).ok);
        // An update on top of a corrupt page must not go through unnoticed either.
        if (!caught) {
          const u = await updateMap(r.store, rt!, root.version + 1, keys.map((k) => [k, 'new'] as [string, string]), { stride });
          caught = hex(u.root.hash) !== hex(mapRootOf(keys.map((k) => [k, 'new'])));
        }
      } catch (e) {
        caught = e instanceof MapCorruptError;
        if (!caught) throw e;
      }
      // A page whose flip is undone by JSON (e.g. a digit of a slot number that still parses to an
      // equivalent page) cannot exist: slots and hashes are all hashed. So every flip is caught.
      assert.ok(caught, `flip at ${i} of ${key} not caught: ${text.slice(Math.max(0, i - 10), i + 10)}`);
    }),
    { numRuns: 150 },
  );
});

test('the hashes do not depend on the stride; a no-op batch writes only its root; versions must grow; a key twice is refused', async () => {
  const batches: Batch[] = [Array.from({ length: 300 }, (_, i) => [i, i] as [number, number]), Array.from({ length: 100 }, (_, i) => [i * 3, i % 2 ? null : 5000 + i] as [number, number | null])];
  const roots = await Promise.all(MAP_STRIDES.map(async (s) => (await run(s, batches)).roots.map((x) => hex(x.hash)).join()));
  assert.is(new Set(roots).size, 1);
  const r = await run(4, batches);
  const root = r.roots.at(-1)!;
  const same = [...r.states.at(-1)!].slice(0, 10).map(([k, v]) => [k, v] as [string, string]);
  const u = await updateMap(r.store, root, root.version + 1, [...same, ['never-there', null]]);
  assert.equal(u.writes.map(([k]) => k), [`map/r/${String(root.version + 1).padStart(16, '0')}`]);
  assert.is(hex(u.root.hash), hex(root.hash));
  let threw = false;
  try {
    await updateMap(r.store, root, root.version, []);
  } catch (e) {
    threw = /version/.test((e as Error).message);
  }
  assert.ok(threw);
  threw = false;
  try {
    await updateMap(r.store, root, root.version + 1, [['a', '1'], ['a', null]]);
  } catch (e) {
    threw = /twice/.test((e as Error).message);
  }
  assert.ok(threw);
});

test('stale lists name exactly the pages no later root reaches; a page cache answers without reads', async () => {
  const r = await run(4, [Array.from({ length: 500 }, (_, i) => [i, i] as [number, number]), Array.from({ length: 50 }, (_, i) => [i * 7, null] as [number, null])]);
  const v2 = r.roots[2]!;
  const stale = JSON.parse(r.store.records.get(`map/s/${String(2).padStart(16, '0')}`)!) as string[];
  assert.ok(stale.length > 0 && stale.every((k) => k.startsWith('map/n/0000000000000001/')));
  // Prune what version 2 made stale: every proof at version 2 still works.
  const pruned = new MemoryMapStore();
  for (const [k, v] of r.store.records) if (!stale.includes(k)) pruned.records.set(k, v);
  const keys = Array.from({ length: 500 }, (_, i) => keyOf(i));
  const got = await proveMap(pruned, v2, keys);
  for (const g of got) assert.ok(verifyMapProof(v2.hash, g.key, r.states[2]!.get(g.key) ?? null, g.proof).ok);
  const cache = new MapPageCache(1000);
  await proveMap(r.store, v2, keys, { cache });
  const calls = r.store.calls;
  const again = await proveMap(r.store, v2, keys, { cache });
  assert.is(r.store.calls, calls, 'all pages from the cache');
  assert.equal(again, got);
});

test.run();
