// @cotc/verify: client-side verification of what a Charities on the Chain server returns
// (trace bundles, checkpoints, consistency), trusting only the log's public key.
// Browser-safe: no Node built-ins; the donor page and the CLI use it.
export { verifyBundle, MAX_BUNDLE_ENTRIES } from './bundle.ts';
export {
  openCheckpoint,
  readCheckpoint,
  checkConsistency,
  consistencyProblems,
  verifyCheckpointAdvance,
  type OpenedCheckpoint,
} from './checkpoint.ts';
export { formatTraceTree, safeText } from './format.ts';
export { sigEngine, webCryptoEngine, nobleEngine, type SigEngine, type SigEngineName } from './sig.ts';
export { mergeTracePages, fetchTraceBundle, isProblem, MAX_TRACE_PAGES, type TraceBundleV1, type TraceBundleV2, type TraceBundle } from './pages.ts';
export {
  checkWitnesses,
  needPolicy,
  parseWitnessPolicy,
  witnessPolicyOf,
  witnessNames,
  WITNESS_SKEW_SECONDS,
  type WitnessPolicy,
  type WitnessReport,
} from './witness.ts';
export * from './types.ts';
export { verifyGift, formatGift, type GiftResult, type GiftShare, type GiftHeld, type GiftCheckCode, type GiftVerifyInput } from './gift.ts';
// Wire format 2 (docs/wire-format-2.md): verifyBundle reads version 2 bundles too (§11, §12);
// proven reads (§13) and the state records they carry (§10).
export { verifyProvenRead, type ReadOptions, type ReadResult } from './v2/read.ts';
export { decodeEntryV2, MAX_ENTRY_BYTES, type EntryV2, type Commitment } from './v2/entry.ts';
export {
  parseOrg as parseOrgRecord,
  parseOrgKey as parseOrgKeyRecord,
  parseFund as parseFundRecord,
  parseLive as parseLiveRecord,
  parseConf as parseConfRecord,
  type OrgRecord,
  type OrgKeyRecord,
  type FundRecord,
  type LiveLot,
  type ConfRecord,
} from './v2/records.ts';
