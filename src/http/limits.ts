// Limits of the HTTP API (DESIGN.md "Posting", "Reads"), shared by app.ts and openapi.ts.
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_BATCH = 1000;
export const MAX_PAGE = 1000;
/** node's limit on the size of a request's headers (http.createServer maxHeaderSize). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** How long browsers may cache a CORS preflight answer, in seconds. */
export const PREFLIGHT_MAX_AGE = 86_400;
