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
