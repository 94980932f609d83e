// `serve --witness URL=VKEY … --quorum K --checkpoint-interval S` (and `--demo`'s local
// witnesses) turned into startServer options. Bad input throws an Error naming the option.
import type { StartOptions } from '../server.ts';
import { parseWitnessOption, type PublisherEvent, type WitnessEndpoint } from '../log/publisher.ts';
import { m } from '../cli/strings.ts';

export interface ServeWitnessFlags { data: string; demo?: boolean; witness?: string[]; quorum?: string; checkpointInterval: string }

export async function witnessServeOptions(o: ServeWitnessFlags): Promise<{ options: Partial<StartOptions>; describe(): string[]; close(): Promise<void> }> {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(o.checkpointInterval) || Number(o.checkpointInterval) < 0.05 || Number(o.checkpointInterval) > 86_400) {
    throw new Error(m('serve.intervalBad', { got: o.checkpointInterval }));
  }
  const intervalMs = Math.round(Number(o.checkpointInterval) * 1000);
  let witnesses: WitnessEndpoint[] = (o.witness ?? []).map((w, i) => parseWitnessOption(w, `--witness[${i}]`));
  let close = async () => {};
  let local = false;
  if (witnesses.length === 0 && o.demo) {
    const { startDemoWitnesses } = await import('./demo.ts');
    const d = await startDemoWitnesses(o.data);
    witnesses = d.witnesses;
    close = d.close;
    local = true;
  }
  if (witnesses.length === 0) {
    if (o.quorum !== undefined) throw new Error(m('witness.quorumNeeds'));
    return { options: {}, describe: () => [], close };
  }
  let quorum = witnesses.length;
  if (o.quorum !== undefined) {
    quorum = Number(o.quorum);
    if (!/^[1-9][0-9]*$/.test(o.quorum) || quorum > witnesses.length) {
      await close();
      throw new Error(m('serve.quorumRange', { n: witnesses.length, got: o.quorum }));
    }
  }
  const onEvent = (e: PublisherEvent) => {
    if (e.type === 'witness_error') console.error(m('serve.witnessError', { witness: e.witness, message: e.message, status: e.status ? ` (HTTP ${e.status})` : '' }));
    else if (!e.quorum) console.error(m('serve.unpublished', { size: e.size, n: e.cosigners.length, quorum }));
  };
  return {
    options: { witnesses, quorum, checkpointIntervalMs: intervalMs, publisherOptions: { onEvent } },
    describe: () => [
      m(local ? 'serve.demoWitnesses' : witnesses.length === 1 ? 'serve.witnesses1' : 'serve.witnesses', { n: witnesses.length, quorum, s: intervalMs / 1000 }),
      ...witnesses.map((w) => m('serve.witnessLine', { url: w.url, key: w.key })),
      m('serve.donorsCheck', { flags: `--witness ${witnesses.map((w) => w.key).join(' --witness ')}${quorum < witnesses.length ? ` --quorum ${quorum}` : ''}` }),
    ],
    close,
  };
}
