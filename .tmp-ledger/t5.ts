import { canonicalize, parseIJson } from '/work/main/packages/ledger/src/canonical.ts';
import * as assert from 'uvu/assert';
const v = Object.create(null); 
console.log(canonicalize(v), Object.keys(v));
const w: any = {}; Object.defineProperty(w, '__proto__', {value: null, enumerable: true, writable: true, configurable: true});
const c = canonicalize(w); console.log(c); const b = parseIJson(c); console.log(b, Object.keys(b as any));
try { assert.equal(b, w); console.log('eq ok'); } catch (e) { console.log('neq', (e as Error).message); }
try { assert.equal(JSON.parse(c), b); console.log('eq2 ok'); } catch (e) { console.log('neq2'); }
