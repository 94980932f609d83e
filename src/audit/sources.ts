// Where an audit reads the log from: a server over HTTP, or a data directory's store.
import { fromBase64 } from '@cotc/tlog';
import { LedgerClient } from '../client/client.ts';
import { LevelStore } from '../storage/level.ts';
import type { AuditSource } from './audit.ts';

export function serverSource(client: LedgerClient): AuditSource {
  return {
    checkpoint: () => client.getText('/checkpoint'),
    async entries(start, limit) {
      const r = await client.get<{ entries: Array<{ index: number; data: string }> }>(`/v1/entries?start=${start}&limit=${limit}`);
      return r.entries.map((e, i) => {
        if (e.index !== start + i) throw new Error(`server sent entry ${e.index} where ${start + i} was asked for`);
        return fromBase64(e.data, `entries[${i}].data`);
      });
    },
    async consistency(from, to) {
      if (from === to) return [];
      return (await client.get<{ hashes: string[] }>(`/v1/proofs/consistency?from=${from}&to=${to}`)).hashes;
    },
  };
}

/** Reads a data directory's store directly (the server must not be running on it:
 * LevelDB allows one process). No consistency proofs: the replay recomputes the tree. */
export async function storeSource(store: LevelStore): Promise<AuditSource> {
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
