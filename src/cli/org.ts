// `cotc org register …` (by the operator, with DIR/operator.key) and `cotc org keys …`
// (by the org itself, or the operator).
import path from 'node:path';
import { parseVerifierKey } from '@cotc/tlog';
import { buildEvent, client, loadSignerKey, needId, needRoles, needText, needVerifierKey, postAndReport, randomId, usage, type Io } from './common.ts';

export interface OrgRegisterOptions {
  data: string;
  id: string;
  name: string;
  role: string[];
  key: string[];
  server: string;
  eventId?: string;
}

export async function orgRegisterCommand(o: OrgRegisterOptions, io: Io): Promise<number> {
  const c = client(o.server);
  const org = needId(o.id, '--id');
  const name = needText(o.name, '--name', 256);
  const roles = needRoles(o.role);
  if (o.key.length === 0) throw usage('--key: give at least one verifier key of the org');
  for (const k of o.key) {
    needVerifierKey(k, '--key');
    const kn = parseVerifierKey(k).name;
    if (kn !== org) throw usage(`--key: the key ${k} is named ${kn}; an org's keys must be named by its id (${org}): make one with cotc keygen --name ${org}`);
  }
  if (new Set(o.key).size !== o.key.length) throw usage('--key: a key is given twice');
  const op = loadSignerKey(path.join(o.data, 'operator.key'), '--data');
  const id = o.eventId !== undefined ? needId(o.eventId, '--event-id') : randomId('org-register');
  const ev = buildEvent(op, 'org.register', id, { org, name, roles, keys: o.key });
  return (await postAndReport(c, ev, io)).code;
}

export interface OrgKeysOptions {
  keyFile: string;
  org: string;
  add?: string[];
  revoke?: string[];
  server: string;
  eventId?: string;
}

export async function orgKeysCommand(o: OrgKeysOptions, io: Io): Promise<number> {
  const c = client(o.server);
  const org = needId(o.org, '--org');
  const add = o.add ?? [];
  const revoke = o.revoke ?? [];
  if (add.length === 0 && revoke.length === 0) throw usage('give --add KEY or --revoke KEY (or both): a key change with nothing in it');
  for (const k of add) {
    needVerifierKey(k, '--add');
    const kn = parseVerifierKey(k).name;
    if (kn !== org) throw usage(`--add: the key ${k} is named ${kn}, not ${org}`);
  }
  for (const k of revoke) needVerifierKey(k, '--revoke');
  const key = loadSignerKey(o.keyFile, '--key-file');
  const id = o.eventId !== undefined ? needId(o.eventId, '--event-id') : randomId('org-keys');
  const ev = buildEvent(key, 'org.keys', id, { org, add, revoke });
  return (await postAndReport(c, ev, io)).code;
}
