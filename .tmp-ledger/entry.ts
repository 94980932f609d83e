import { validateEnvelope, schemas } from '../packages/ledger/src/schema.ts';
import { parseIJson, canonicalize } from '../packages/ledger/src/canonical.ts';
console.log(Object.keys(schemas).length, validateEnvelope(parseIJson('{"v":1}')));
console.log(canonicalize({b:1,a:2}));
