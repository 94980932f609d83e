// The soak (scripts/soak.ts), briefly: a real server on a temp data dir on 127.0.0.1, mixed
// signed writes (single and batched donations, transfers, disbursements) and reads (trace
// bundles, events with inclusion proofs, checkpoints, consistency proofs) at steady modest
// rates for 8 s; then every acknowledged event is fetched back and its proof verified.
// No errors, no lost acknowledgement. `pnpm soak --seconds 600` is the long run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatSoak, runSoak } from '../../scripts/soak.ts';

test('8 s soak: zero errors, zero lost acknowledgements', async () => {
  const r = await runSoak({ seconds: Number(process.env.SOAK_SECONDS ?? 8), writeRate: 30, readRate: 30, clients: 4 });
  const table = formatSoak(r);
  assert.equal(r.errors, {}, table);
  assert.is(r.lost, 0, table);
  // Not vacuous: the load ran, and every kind was exercised.
  assert.ok(r.acknowledged >= 100, table);
  for (const [kind, l] of Object.entries(r.latency)) assert.ok(l.n > 0, `no ${kind} in the soak\n${table}`);
  assert.ok(r.verifiedReads > 0, table);
  assert.ok(r.checkpointsChecked > 1, table);
});

test.run();
