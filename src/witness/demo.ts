// `serve --demo`: two witnesses in the same process, on free loopback ports, with their own
// data directories under DIR/witnesses/, so the demo's log is witnessed from its first
// minute (README: "witnesses"). Real deployments run `cotc witness` elsewhere, by others.
import fs from 'node:fs';
import path from 'node:path';
import { parseSignerKey } from '@cotc/tlog';
import { startWitness, type RunningWitness } from './server.ts';
import type { WitnessEndpoint } from '../log/publisher.ts';

export const DEMO_WITNESS_NAMES = ['witness-one.demo.cotc.local', 'witness-two.demo.cotc.local'];

export async function startDemoWitnesses(dataDir: string): Promise<{ witnesses: WitnessEndpoint[]; running: RunningWitness[]; close(): Promise<void> }> {
  const logKey = parseSignerKey(fs.readFileSync(path.join(dataDir, 'log.key'), 'utf8').trim(), 'log.key').verifierKey;
  const running: RunningWitness[] = [];
  try {
    for (const [i, name] of DEMO_WITNESS_NAMES.entries()) {
      running.push(await startWitness({ dir: path.join(dataDir, 'witnesses', `w${i + 1}`), name, logs: [logKey], port: 0, host: '127.0.0.1' }));
    }
  } catch (e) {
    await Promise.all(running.map((r) => r.close()));
    throw e;
  }
  return {
    witnesses: running.map((r) => ({ url: r.url, key: r.witness.verifierKey })),
    running,
    close: async () => {
      await Promise.all(running.map((r) => r.close()));
    },
  };
}
