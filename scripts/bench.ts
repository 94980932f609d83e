// `pnpm bench <name>`: runs one benchmark script, which prints a markdown table.
//   tlog    Merkle log math on 1M leaves vs merkletreejs        (scripts/bench-tlog.ts)
//   ledger  100k signed events through the sequencer, in process and over HTTP (scripts/bench-ledger.ts)
//   http    read endpoints under autocannon, against express's ceiling (scripts/bench-http.ts)
//   audit   replay rate of a large log, with and without signatures (scripts/bench-audit.ts)
//   scale   issue 10's figures per log size: ingest, storage vs hypercore, RSS, start-up, audit,
//           reads vs express (scripts/bench-scale.ts; --sizes 10k,1M,10M --mixed-seconds 60)
export {};

const benches: Record<string, string> = {
  tlog: './bench-tlog.ts',
  ledger: './bench-ledger.ts',
  http: './bench-http.ts',
  audit: './bench-audit.ts',
  scale: './bench-scale.ts',
  store: './bench-store.ts', // PostgreSQL vs LevelDB: durable ingest, proof reads with 1/2/3 readers, takeover (scripts/bench-store.ts)
  verify: './bench-verify.ts', // verifyBundle on 100/1,000/10,000-entry bundles, node and Chromium (scripts/bench-verify.ts)
  gifts: './bench-gifts.ts', // issue 15: sum-tree building vs the SHA-256 ceiling, a 10^5-gift batch end to end, gift proofs served (scripts/bench-gifts.ts)
  mirror: './bench-mirror.ts', // tile, entry bundle, trace bundle and checkpoint reads from nginx serving `cotc mirror` vs the API (scripts/bench-mirror.ts)
  'verify-v2': './bench-verify-v2.ts', // issue 11: the demo's largest and median traces as v2 bundles vs v1: bytes, verification in node and headless Chromium (scripts/bench-verify-v2.ts)
  map: './bench-map.ts', // the state map on LevelDB: update per 1000 changes, proof size, proofs/s, strides (scripts/bench-map.ts)
};
const name = process.argv[2] ?? 'tlog';
const mod = benches[name];
if (!mod) {
  console.error(`usage: pnpm bench <${Object.keys(benches).join('|')}>`);
  process.exit(2);
}
await import(mod);
