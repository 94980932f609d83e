// Runs every uvu suite under test/ (files named *.test.ts, so helpers are never run as
// suites) in one process, then prints the plain closing line "N passed, N failed".
// uvu swallows a throwing `before` hook and can exit 0 having run nothing, so a run
// that executed no test at all is a failure here.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pattern = process.argv[2] ?? '\\.test\\.ts$';
const uvuBin = path.join(root, 'node_modules', 'uvu', 'bin.js');
const child = spawn(process.execPath, ['--import', 'tsx', uvuBin, 'test', pattern], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let out = '';
child.stdout.on('data', (b: Buffer) => {
  process.stdout.write(b);
  out += b.toString('utf8');
  if (out.length > 1 << 20) out = out.slice(-(1 << 16));
});
child.on('close', (code) => {
  // eslint-disable-next-line no-control-regex
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const failed = total - passed - skipped;
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (total === 0) {
    console.error('no test ran');
    process.exit(1);
  }
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
