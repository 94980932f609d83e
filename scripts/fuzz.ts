// Long fuzzing runs of the properties in test/fuzz/properties.ts (the CI test runs them
// briefly). Usage:
//   pnpm tsx scripts/fuzz.ts [name-filter]
//   FUZZ_RUNS=100000 pnpm tsx scripts/fuzz.ts parseIJson     runs per property
//   FUZZ_SECONDS=600 pnpm tsx scripts/fuzz.ts                 time per property (default 30 s
//                                                              when neither is set)
//   FUZZ_SEED=42 …                                            reproduce a run
// Prints one line per property and, on failure, fast-check's counterexample (with the seed
// and path to replay it); exits 1 if any property failed.
import { properties, runProperty } from '../test/fuzz/properties.ts';

const filter = process.argv[2];
const runs = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined;
const seconds = process.env.FUZZ_SECONDS ? Number(process.env.FUZZ_SECONDS) : runs === undefined ? 30 : undefined;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
if ((runs !== undefined && !(runs > 0)) || (seconds !== undefined && !(seconds > 0))) {
  console.error('FUZZ_RUNS and FUZZ_SECONDS must be positive numbers');
  process.exit(2);
}

const chosen = properties.filter((p) => !filter || p.name.toLowerCase().includes(filter.toLowerCase()));
if (chosen.length === 0) {
  console.error(`no property matches ${JSON.stringify(filter)}; properties:\n${properties.map((p) => '  ' + p.name).join('\n')}`);
  process.exit(2);
}
console.log(`fuzzing ${chosen.length} properties, ${runs !== undefined ? `${runs} runs` : 'unbounded runs'}${seconds !== undefined ? `, ${seconds} s each` : ''}, seed ${seed}`);
let failed = 0;
for (const p of chosen) {
  const r = await runProperty(p, {
    // With only a time budget, ask for "infinitely" many runs and let the clock stop them.
    numRuns: runs ?? Number.MAX_SAFE_INTEGER,
    timeLimitMs: seconds !== undefined ? seconds * 1000 : undefined,
    seed,
  });
  const rate = ((r.runs / r.ms) * 1000).toFixed(0);
  console.log(`${r.failed ? 'FAIL' : 'ok  '} ${r.runs.toString().padStart(9)} runs ${(r.ms / 1000).toFixed(1).padStart(7)} s ${rate.padStart(7)}/s  ${r.name}`);
  if (r.failed) {
    failed++;
    console.log(r.message);
  }
}
console.log(failed ? `${failed} properties failed` : 'all properties held');
process.exit(failed ? 1 : 0);
