// `cotc post FILE --key KEYFILE --server URL`: FILE ("-" for stdin) holds an unsigned
// event or an array of them (1 to 1000). Each is completed (`v` 1, `time` now and `org`
// the key's name when absent), signed with the key and posted; an array goes in one POST.
import fs from 'node:fs';
import { CanonicalError, isPlainObject, signEvent, type Envelope } from '@cotc/ledger';
import { client, loadSignerKey, nowTime, postAndReport, usage, type Io } from './common.ts';

export interface PostOptions {
  key: string;
  server: string;
}

const MAX_BATCH = 1000;

function readInput(file: string): string {
  try {
    return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usage(`FILE: cannot read ${file === '-' ? 'stdin' : file}${code === 'ENOENT' ? ': no such file' : `: ${(e as Error).message}`}`);
  }
}


export async function postCommand(file: string, o: PostOptions, io: Io): Promise<number> {
  const c = client(o.server);
  const name = file === '-' ? 'stdin' : file;
  let value: unknown;
  try {
    value = JSON.parse(readInput(file).replace(/^\uFEFF/, ''));
  } catch (e) {
    if (e instanceof SyntaxError) throw usage(`FILE: ${name} is not JSON: ${e.message}`);
    throw e;
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > MAX_BATCH) throw usage(`FILE: ${name}: an array of events must hold 1 to ${MAX_BATCH}, got ${list.length}`);
  const key = loadSignerKey(o.key);
  const signed: Envelope[] = list.map((ev, i) => {
    const where = Array.isArray(value) ? `${name}: event ${i}` : name;
    if (!isPlainObject(ev)) throw usage(`FILE: ${where} is not a JSON object`);
    if ('sig' in ev) throw usage(`FILE: ${where} already has a sig; post unsigned events (the CLI signs them with --key)`);
    for (const f of ['type', 'id', 'body']) if (!(f in ev)) throw usage(`FILE: ${where} has no ${JSON.stringify(f)}`);
    if (ev.org !== undefined && ev.org !== key.key.name) {
      throw usage(`FILE: ${where} is by org ${JSON.stringify(ev.org)} but --key is a key of ${key.key.name}: an event is signed by a key of its own org`);
    }
    // Key order does not matter: the signature covers the canonical (sorted) encoding.
    const full = { v: 1, time: nowTime(), ...ev, org: key.key.name };
    try {
      return signEvent(full as never, key.signerKey) as Envelope;
    } catch (e) {
      if (e instanceof CanonicalError) throw usage(`FILE: ${where} cannot be encoded canonically: ${e.message}`);
      throw e;
    }
  });
  const { code } = await postAndReport(c, Array.isArray(value) ? signed : signed[0]!, io);
  return code;
}
