// `cotc witness --data DIR --name NAME --log VKEY [--log …] [--port N] [--host H]`: a C2SP
// tlog-witness v1.0.0 server (src/witness/). Prints its cosignature verifier key, which is
// what log operators pass to `serve --witness URL=VKEY` and donors to `verify --witness VKEY`.
import { usage } from './common.ts';

export interface WitnessCliOptions { data: string; name: string; log: string[]; port: string; host: string }

export async function witnessCommand(o: WitnessCliOptions): Promise<void> {
  const port = Number(o.port);
  if (!/^[0-9]{1,5}$/.test(o.port) || port > 65535) throw usage(`--port: ${o.port} is not a port number`);
  if (!o.log || o.log.length === 0) throw usage('--log: give the verifier key of at least one log to witness');
  const { ed25519Verifier, isValidName } = await import('@cotc/tlog');
  if (!isValidName(o.name)) throw usage('--name: a key name (no spaces, no "+"), e.g. witness.example.org/w1');
  o.log.forEach((k, i) => {
    try {
      ed25519Verifier(k, `--log[${i}]`);
    } catch (e) {
      throw usage((e as Error).message);
    }
  });
  const { startWitness } = await import('../witness/server.ts');
  const w = await startWitness({ dir: o.data, name: o.name, logs: o.log, port, host: o.host });
  console.log(`cotc: witness ${w.witness.name} at ${w.url} (POST ${w.url}/add-checkpoint)`);
  console.log(`cotc: witness key ${w.witness.verifierKey}`);
  for (const l of w.witness.logs()) console.log(`cotc: witnessing ${l.origin} (cosigned up to size ${l.size})`);
  const stop = async () => {
    await w.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
