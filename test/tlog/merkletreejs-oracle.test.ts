// merkletreejs (0.6.0) as an independent oracle for RFC 9162 roots and inclusion paths.
//
// Configuration that makes merkletreejs RFC 6962/9162-shaped:
//   - leaves passed pre-hashed (SHA-256(0x00 || data)), hashLeaves: false;
//   - hashFn = SHA-256 and a concatenator that prefixes 0x01 to left || right, so every
//     interior node is SHA-256(0x01 || left || right);
//   - sortPairs / sortLeaves / sort: false (RFC order is positional);
//   - duplicateOdd: false, isBitcoinTree: false, complete: false, no fillDefaultHash.
// With duplicateOdd false, merkletreejs builds layers bottom-up and promotes a lonely last
// node to the next layer unhashed. That is exactly the RFC's left-balanced tree: MTH
// splits at the largest power of two k < n, and pairing bottom-up with promotion puts the
// first k leaves under one perfect subtree and the rest, recursively, beside it. So no
// size limit applies: the test checks every size 1..300, not only powers of two. The
// other odd-node rules (duplicateOdd: true, Bitcoin-style) are checked to differ from
// RFC 9162 exactly at the sizes where some layer has an odd length, and duplicateOdd to
// match a reference "duplicate the odd node" MTH, which pins the difference to that rule.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MerkleTree } from 'merkletreejs';
import { MemoryTree, leafHash, verifyInclusion } from '@cotc/tlog';
import { hex, leafData, plainMTH, refNodeHash } from './merkle-ref.ts';

const N = 300;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const ONE = Buffer.from([0x01]);
const rfcConcat = (parts: Buffer[]) => Buffer.concat([ONE, ...parts]);
const rfcOptions = {
  hashLeaves: false,
  sortLeaves: false,
  sortPairs: false,
  sort: false,
  duplicateOdd: false,
  isBitcoinTree: false,
  complete: false,
  concatenator: rfcConcat,
};

const leafHashes = Array.from({ length: N }, (_, i) => leafHash(leafData(i)));
const leafBufs = leafHashes.map((h) => Buffer.from(h));
const tree = new MemoryTree();
for (const h of leafHashes) await tree.append(h);

/** Reference MTH with the "duplicate the odd node" rule: hash an odd last node with itself. */
function duplicateOddRoot(hashes: Uint8Array[]): Uint8Array {
  let layer = hashes;
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(refNodeHash(layer[i]!, layer[i + 1] ?? layer[i]!));
    layer = next;
  }
  return layer[0]!;
}

/** Whether some layer of a bottom-up build of n leaves has an odd length > 1. */
function hasOddLayer(n: number): boolean {
  for (; n > 1; n = Math.ceil(n / 2)) if (n % 2 === 1) return true;
  return false;
}

test('merkletreejs options are what the oracle relies on', () => {
  const mt = new MerkleTree(leafBufs.slice(0, 5), sha256, rfcOptions);
  const o = mt.getOptions();
  assert.is(o.hashLeaves, false);
  assert.is(o.sortPairs, false);
  assert.is(o.sortLeaves, false);
  assert.is(o.duplicateOdd, false);
  assert.is(o.isBitcoinTree, false);
  assert.is(o.complete, false);
  // Leaves are stored as given (not re-hashed).
  assert.is(hex(mt.getLeaves()[3]!), hex(leafHashes[3]!));
});

test(`merkletreejs roots = MemoryTree roots = plain MTH, sizes 1..${N}`, async () => {
  for (let n = 1; n <= N; n++) {
    const theirs = new MerkleTree(leafBufs.slice(0, n), sha256, rfcOptions).getRoot();
    const ours = await tree.root(n);
    assert.is(hex(ours), theirs.toString('hex'), `size ${n}`);
    if (n <= 64 || n % 17 === 0) assert.is(hex(ours), hex(plainMTH(leafHashes.slice(0, n))), `plain MTH size ${n}`);
  }
});

test(`merkletreejs getProof siblings = MemoryTree inclusion proofs, every index of sizes 1..${N}`, async () => {
  let count = 0;
  for (let n = 1; n <= N; n++) {
    const mt = new MerkleTree(leafBufs.slice(0, n), sha256, rfcOptions);
    const root = await tree.root(n);
    for (let i = 0; i < n; i++) {
      // merkletreejs omits the levels where the node was promoted, which is exactly the
      // RFC 9162 audit path, bottom-up; 'left'/'right' is the sibling's side.
      const theirs = mt.getProof(leafBufs[i]!, i);
      const ours = await tree.inclusionProof(i, n);
      if (theirs.length !== ours.length || theirs.some((p, k) => p.data.toString('hex') !== hex(ours[k]!))) {
        assert.unreachable(`proof ${i}/${n}: merkletreejs ${theirs.map((p) => p.data.toString('hex'))} vs ours ${ours.map(hex)}`);
      }
      // And merkletreejs's own verifier accepts it (sampled: it is slow).
      if (i % 7 === 0 && !mt.verify(theirs, leafBufs[i]!, Buffer.from(root))) assert.unreachable(`merkletreejs rejects ${i}/${n}`);
      if (!verifyInclusion(leafHashes[i]!, i, n, theirs.map((p) => new Uint8Array(p.data)), root)) assert.unreachable(`we reject ${i}/${n}`);
      count++;
    }
  }
  assert.is(count, (N * (N + 1)) / 2);
});

test('merkletreejs with duplicateOdd: true differs exactly where a layer is odd, and is the duplicate-odd MTH', async () => {
  let same = 0;
  for (let n = 1; n <= N; n++) {
    const dup = new MerkleTree(leafBufs.slice(0, n), sha256, { ...rfcOptions, duplicateOdd: true }).getRoot().toString('hex');
    assert.is(dup, hex(duplicateOddRoot(leafHashes.slice(0, n))), `duplicate-odd reference, size ${n}`);
    const ours = hex(await tree.root(n));
    assert.is(dup === ours, !hasOddLayer(n), `size ${n}`);
    if (dup === ours) same++;
  }
  // Equal exactly for the powers of two: 1, 2, 4, ..., 256.
  assert.is(same, 9);
});

test('merkletreejs Bitcoin mode (double SHA-256, duplicate odd) never gives RFC 9162 roots beyond one leaf', async () => {
  for (let n = 2; n <= 64; n++) {
    const btc = new MerkleTree(leafBufs.slice(0, n), sha256, { ...rfcOptions, isBitcoinTree: true }).getRoot().toString('hex');
    assert.is.not(btc, hex(await tree.root(n)), `size ${n}`);
  }
});

test('merkletreejs default options (no 0x01 prefix) give different roots: domain separation matters', async () => {
  for (const n of [2, 3, 8, 100]) {
    const plain = new MerkleTree(leafBufs.slice(0, n), sha256).getRoot().toString('hex');
    assert.is.not(plain, hex(await tree.root(n)), `size ${n}`);
  }
});

test.run();
