// The two errors a storage backend throws, beside the interface (types.ts) so that no file
// in src/storage imports from the layers above it (issue 10, "the shape of the house").
// src/log/service.ts and src/storage/types.ts re-export them for existing callers.

/** The store cannot serve now (its disk failed, it is being reopened, the log is closed);
 * the caller may retry. HTTP answers 503 `unavailable`. */
export class ServiceUnavailableError extends Error {
  readonly code = 'unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

/** Thrown by a backend when what it holds is not what it should (torn or tampered). */
export class StoreCorruptError extends Error {
  constructor(
    message: string,
    readonly seq?: number,
  ) {
    super(message);
    this.name = 'StoreCorruptError';
  }
}
