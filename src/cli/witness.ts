// `cotc witness --data DIR --name NAME --log VKEY [--log …] [--port N] [--host H]`: a C2SP
// tlog-witness v1.0.0 server (src/witness/). Prints its cosignature verifier key, which is
// what log operators pass to `serve --witness URL=VKEY` and donors to `verify --witness VKEY`.
import { jsonText, usage } from './common.ts';
import { stopOnSignal } from './shutdown.ts';
import { m } from './strings.ts';

export interface WitnessCliOptions { data: string; name: string; log: string[]; port: string; host: string; json?: boolean }

export async function witnessCommand(o: WitnessCliOptions): Promise<void> {
  const port = Number(o.port);
  if (!/^[0-9]{1,5}$/.test(o.port) || port > 65535) throw usage(m('common.notPort', { option: '--port', value: o.port }));
  if (!o.log || o.log.length === 0) throw usage(m('witness.noLog'));
  const { ed25519Verifier, isValidName } = await import('@cotc/tlog');
  if (!isValidName(o.name)) throw usage(m('witness.badName'));
  o.log.forEach((k, i) => {
    try {
      ed25519Verifier(k, `--log[${i}]`);
    } catch (e) {
      throw usage((e as Error).message);
    }
  });
  const { startWitness } = await import('../witness/server.ts');
  const w = await startWitness({ dir: o.data, name: o.name, logs: o.log, port, host: o.host });
  if (o.json) {
    console.log(jsonText({ name: w.witness.name, url: w.url, addCheckpoint: `${w.url}/add-checkpoint`, key: w.witness.verifierKey, logs: w.witness.logs().map((l) => ({ origin: l.origin, size: l.size })) }));
  } else {
    console.log(m('witness.serving', { name: w.witness.name, url: w.url }));
    console.log(m('witness.key', { key: w.witness.verifierKey }));
    for (const l of w.witness.logs()) console.log(m('witness.log', { origin: l.origin, size: l.size }));
  }
  stopOnSignal(() => w.close());
}
