// @cotc/tlog: RFC 9162 Merkle log math, proofs, C2SP checkpoints, tiles, signed notes and cosignatures.
// Browser-safe: depends only on @noble/hashes and @noble/curves.
export * from './hash.ts';
export * from './treemath.ts';
export * from './tree.ts';
export * from './tile.ts';
export * from './integrate.ts';
export * from './tilepath.ts';
export * from './entrybundle.ts';
export * from './tilefetch.ts';
export * from './verify.ts';
export * from './bytes.ts';
export * from './ed25519.ts';
export * from './note.ts';
export * from './checkpoint.ts';
export * from './cosignature.ts';
export * from './effects.ts';
export * from './map/index.ts';
