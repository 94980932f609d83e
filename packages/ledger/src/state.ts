// The state machine lives in ./state/ (facade ledger.ts, codec.ts, keys.ts, queue.ts,
// overlay.ts, one file per event kind under kinds/). This module keeps the old import path.
export * from './state/index.ts';
