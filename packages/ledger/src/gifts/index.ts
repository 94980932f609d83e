// Micro-donations in batches (issue 15, docs/gifts.md): the gift record, the Merkle sum tree,
// its proofs and verifier, the allocation of hops to gifts and the units every hop moved.
export * from './record.ts';
export * from './sumhash.ts';
export * from './sumtree.ts';
export * from './sumverify.ts';
export * from './share.ts';
export * from './units.ts';
