// `cotc post FILE --key KEYFILE --server URL`: FILE ("-" for stdin) holds an unsigned
// event or an array of them (1 to 1000). Each is completed (`v` 1, `time` now and `org`
// the key's name when absent), signed with the key and posted; an array goes in one POST.
import fs from 'node:fs';
import { CanonicalError, isPlainObject, signEvent, type Envelope } from '@cotc/ledger';
import { m } from './strings.ts';
import { client, loadSignerKey, nowTime, postAndReport, printJson, usage, type Io } from './common.ts';

export interface PostOptions {
  key: string;
  server: string;
  json?: boolean;
}

const MAX_BATCH = 1000;

function readInput(file: string): string {
  try {
    return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usage(m(code === 'ENOENT' ? 'file.missing' : 'file.cannotRead', { option: 'FILE', file: file === '-' ? 'stdin' : file, reason: (e as Error).message }));
  }
}


export async function postCommand(file: string, o: PostOptions, io: Io): Promise<number> {
  const c = client(o.server);
  const name = file === '-' ? 'stdin' : file;
  let value: unknown;
  try {
    value = JSON.parse(readInput(file).replace(/^\uFEFF/, ''));
  } catch (e) {
    if (e instanceof SyntaxError) throw usage(m('post.notJson', { name, reason: e.message }));
    throw e;
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > MAX_BATCH) throw usage(m('post.batch', { name, max: MAX_BATCH, n: list.length }));
  const key = loadSignerKey(o.key);
  const signed: Envelope[] = list.map((ev, i) => {
    const where = Array.isArray(value) ? m('post.eventN', { name, i }) : name;
    if (!isPlainObject(ev)) throw usage(m('post.notObject', { where }));
    if ('sig' in ev) throw usage(m('post.hasSig', { where }));
    for (const f of ['type', 'id', 'body']) if (!(f in ev)) throw usage(m('post.missing', { where, field: JSON.stringify(f) }));
    if (ev.org !== undefined && ev.org !== key.key.name) {
      throw usage(m('post.otherOrg', { where, org: JSON.stringify(ev.org), name: key.key.name }));
    }
    // Key order does not matter: the signature covers the canonical (sorted) encoding.
    const full = { v: 1, time: nowTime(), ...ev, org: key.key.name };
    try {
      return signEvent(full as never, key.signerKey) as Envelope;
    } catch (e) {
      if (e instanceof CanonicalError) throw usage(m('post.canonical', { where, reason: e.message }));
      throw e;
    }
  });
  const r = await postAndReport(c, Array.isArray(value) ? signed : signed[0]!, io, o.json);
  if (o.json) printJson(io, r.outcomes);
  return r.code;
}
