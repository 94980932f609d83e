// Where an audit reads the log from: a server over HTTP, or a data directory's store.
import { fromBase64 } from '@cotc/tlog';
import { LedgerClient } from '../client/client.ts';
import type { LogStore } from '../storage/types.ts';
import type { AuditSource } from './audit.ts';

/** A server's answer that is not what was asked for (a finding of the audit, exit 1, not a network error). */
export class SourceAnswerError extends Error {
  constructor(
    message: string,
    readonly seq?: number,
  ) {
    super(message);
    this.name = 'SourceAnswerError';
  }
}

export function serverSource(client: LedgerClient): AuditSource {
  return {
    checkpoint: () => client.getText('/checkpoint'),
    async entries(start, limit) {
      const r = await client.get<{ entries?: unknown }>(`/v1/entries?start=${start}&limit=${limit}`);
      if (!Array.isArray(r?.entries)) throw new SourceAnswerError(`GET /v1/entries?start=${start}: the answer has no list of entries`, start);
      return (r.entries as Array<{ index?: unknown; data?: unknown }>).map((e, i) => {
        // The message carries what the server chose, raw: whoever prints it escapes it (safeText), once.
        if (e?.index !== start + i) throw new SourceAnswerError(`the server sent entry ${String(e?.index).slice(0, 40)} where ${start + i} was asked for`, start + i);
        try {
          return fromBase64(e.data as string, `entries[${i}].data`);
        } catch (x) {
          throw new SourceAnswerError(`entry ${start + i}: ${(x as Error).message.slice(0, 200)}`, start + i);
        }
      });
    },
    async consistency(from, to) {
      if (from === to) return [];
      return (await client.get<{ hashes: string[] }>(`/v1/proofs/consistency?from=${from}&to=${to}`)).hashes;
    },
  };
}

/** Reads a store directly, opening it (src/storage/open.ts chooses the backend; a LevelDB
 * store allows one process, so the server must not be running on it). No consistency
 * proofs: the replay recomputes the tree. */
export async function storeSource(store: LogStore): Promise<AuditSource> {
  await store.open();
  return {
    async checkpoint() {
      const h = await store.head();
      if (!h) throw new Error('the store is empty');
      return h.checkpoint;
    },
    entries: (start, limit) => store.entries(start, limit),
    stateRecords: () => store.stateRecords(),
  };
}

/** A log's C2SP tlog-tiles over HTTP (the API's or a static mirror's): tiles.ts. */
export async function tilesSource(base: string): Promise<AuditSource> {
  const { tilesSourceOf } = await import('./tiles.ts');
  const { httpTileGetter } = await import('../client/tiles.ts');
  const client = new LedgerClient(base);
  return tilesSourceOf(httpTileGetter(client.base), () => client.getText('/checkpoint'));
}
