// Limits of the HTTP API (DESIGN.md "Posting", "Reads"), shared by app.ts and openapi.ts.
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_BATCH = 1000;
export const MAX_PAGE = 1000;
/** node's limit on the size of a request's headers (http.createServer maxHeaderSize). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** How long browsers may cache a CORS preflight answer, in seconds. */
export const PREFLIGHT_MAX_AGE = 86_400;
/** Socket timeouts of `cotc serve` in ms (startServer's `timeouts` option overrides them):
 * all headers within headersMs, the whole request within requestMs, idle keep-alive
 * connections closed after keepAliveMs; node enforces the first two every checkIntervalMs. */
export const SERVER_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 };

/** Byte caps on read answers (startServer's `readLimits` option overrides them). A page
 * of GET /v1/entries stops before the entry that would take it past `entriesPageBytes`
 * (it always holds at least one) and then says where to continue (`next`); a trace page
 * holds at most `tracePageBytes` of entries (the last page adds the trace's nodes and
 * flows). GET /v1/donations is bounded by its `limit` (≤ MAX_PAGE short rows). */
export interface ReadLimits {
  entriesPageBytes: number;
  tracePageBytes: number;
}
export const READ_LIMITS: ReadLimits = { entriesPageBytes: 4 * 1024 * 1024, tracePageBytes: 4 * 1024 * 1024 };
