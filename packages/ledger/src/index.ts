// @cotc/ledger: the event model of DESIGN.md — JSON Schemas, canonical encoding,
// signatures, donor commitments, and the deterministic state machine (org registry,
// funds, FIFO lots, traces) that the server and every auditor share. Browser-safe.
export * from './types.ts';
export * from './errors.ts';
export * from './canonical.ts';
export * from './schema.ts';
export * from './signature.ts';
export * from './donor.ts';
export { parseVerifierKey as parseOrgKey, judgeRegister, judgeKeyChange, applyKeyChange, bootstrapSigner, signerAt, checkNewKeys, checkRevokes, currentKeyCount, keyLiveAt, sigKeyId, LedgerState, fundInfoFromRecord, orgInfoFromRecord, NeedRecords, META_KEY, orgKey, fundKey, lotKey, lotPrefix, eventKey, revKey, confKey, parseKey, encodeRecord, decodeRecord, encodePos, decodePos, liveKey, mapRecordsOf, mapChangesOf, mapRecordsOfAll, orgKeyKey } from './state.ts';
export type * from './state.ts';
export { replayDonationLots } from './state.ts';
export * from './trace.ts';
export * from './replay.ts';
export * from './amount.ts';
export * from './effects.ts';
export * from './limits.ts';
export * from './gifts/index.ts';
