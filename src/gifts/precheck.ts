// The check that a posted gift.batch event's batch file is stored (422 unknown_batch,
// docs/gifts.md "The batch event"), in the place DESIGN.md "Posting" gives a check of what an
// event refers to: after 400 schema, the identical event (200), 401 bad_signature /
// unknown_key / revoked_key and 409 duplicate_id. The state machine cannot see batch files
// (they are off the log), so the server checks before it submits the event; when the file is
// missing, the earlier checks are run first against the log's current state, and a failure
// among them answers instead:
//  - schema, time, identical event, duplicate id: left to the sequencer (it rejects them or,
//    for the identical event, appends nothing), so null is answered and it judges;
//  - the signature: judged here with the keys the org holds now (signerAt, the ledger's own
//    rule; the key current at the next seq), answering unknown_key / revoked_key /
//    bad_signature as the sequencer would. In a posted array, a key added by an earlier
//    element of the same array is not seen yet: that element's batch is then refused with
//    unknown_key rather than unknown_batch; it is refused either way.
// Then 422 unknown_batch, and the sequencer judges the rest (unknown_fund, forbidden, …).
import { MAX_CLOCK_AHEAD_MS, parseOrgKey, sigKeyId, signerAt, validateEnvelope, verifyEventSignature, type KeyRec, type KeyRing } from '@cotc/ledger';
import type { Failed, LogService } from '../log/service.ts';
import type { GiftStore, LoadedBatch } from './store.ts';

const HEX64 = /^[0-9a-f]{64}$/;

/** Why a gift.batch's batch file does not back it (422 unknown_batch), or null when it does or the value is no gift.batch. */
export function batchFileFailure(store: GiftStore, value: unknown): Failed | null {
  const v = value as { type?: unknown; body?: { root?: unknown; count?: unknown; amount?: { value?: unknown } } } | null;
  if (typeof v !== 'object' || v === null || v.type !== 'gift.batch') return null;
  const b = v.body;
  // A malformed body is left to the schema check (400 schema).
  if (typeof b?.root !== 'string' || !HEX64.test(b.root) || typeof b.count !== 'number' || typeof b.amount?.value !== 'string') return null;
  let loaded: LoadedBatch | undefined;
  try {
    loaded = store.load(b.root);
  } catch (e) {
    return { status: 422, error: { code: 'unknown_batch', message: `the batch file of root ${b.root} is damaged: ${(e as Error).message}` } };
  }
  if (!loaded) return { status: 422, error: { code: 'unknown_batch', message: `no batch with root ${b.root} is stored: POST its gifts to /v1/batches first` } };
  if (loaded.tree.count !== b.count || loaded.tree.total.toString() !== b.amount.value) {
    return {
      status: 422,
      error: { code: 'unknown_batch', message: `the batch of root ${b.root} holds ${loaded.tree.count} gifts totalling ${loaded.tree.total}, not ${b.count} totalling ${b.amount.value}` },
    };
  }
  return null;
}

/** The precheck of POST /v1/events (AppDeps.precheck): a Failed for a gift.batch that must be refused here, else null. */
export function giftPrecheck(store: GiftStore, log: LogService): (value: unknown) => Promise<Failed | null> {
  return async (value) => {
    const missing = batchFileFailure(store, value);
    if (missing === null) return null;
    const v = validateEnvelope(value);
    if (!v.ok) return null;
    const ev = v.event;
    if (Date.parse(ev.time) - Date.now() > MAX_CLOCK_AHEAD_MS) return null;
    if ((await log.entryOf(ev.id)) !== undefined) return null; // identical (200) or duplicate_id (409)
    const keyId = sigKeyId(ev.sig);
    const org = await log.org(ev.org);
    let ring: KeyRing | undefined;
    if (org) {
      const keys: KeyRec[] = [];
      for (const k of org.keys) {
        const p = parseOrgKey(k.key);
        if (p) keys.push({ key: k.key, keyId: p.keyId, publicKey: p.publicKey, addedSeq: k.addedSeq, ...(k.revokedSeq !== undefined ? { revokedSeq: k.revokedSeq } : {}) });
      }
      ring = { keys, byKeyId: new Map(keys.map((k) => [k.keyId, k])) };
    }
    const signer = signerAt(ring, ev.org, keyId ?? '', log.head().size);
    if ('ok' in signer) return { status: signer.status, error: { code: signer.code, message: signer.message } };
    if (!verifyEventSignature(ev, signer.key)) return { status: 401, error: { code: 'bad_signature', message: `the signature of ${ev.id} does not verify with key ${keyId} of ${ev.org}` } };
    return missing;
  };
}
