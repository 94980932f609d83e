// The ledger state machine (DESIGN.md "The events", "Posting"): the facade and what the
// server, the auditor and the verifier share from it.
export { LedgerState, fundInfoFromRecord, orgInfoFromRecord } from './ledger.ts';
export type { RecordSource, StoreStateOptions } from './ledger.ts';
export { parseVerifierKey, keyLiveAt, checkNewKeys, checkRevokes, signerAt, bootstrapSigner, sigKeyId, judgeRegister, judgeKeyChange, applyKeyChange, currentKeyCount } from './keys.ts';
export type { KeyRec, KeyRing, KeyRules, KeyChange } from './keys.ts';
export { NeedRecords } from './overlay.ts';
export * from './codec.ts';
export * from './types.ts';
export { replayDonationLots, type LotStep, type ReplayedLot, type LotReplay } from './lots.ts';
export { mapRecordsOf, mapChangesOf, mapRecordsOfAll, orgKeyKey } from './map-records.ts';
