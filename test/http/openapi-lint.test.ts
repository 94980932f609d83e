// The OpenAPI document passes Redocly's `recommended` ruleset with no errors (issue 12),
// linted by the npm package @redocly/cli (2.77.0, a devDependency) as CI installs it.
// Warnings are allowed and printed. A second run on a copy with a known defect proves the
// linter really runs and reports errors (so a linter that silently checks nothing fails).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openApiDocument } from '../../src/http/openapi.ts';

type Obj = Record<string, any>;
interface Problem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: Array<{ pointer: string }>;
}

const require = createRequire(import.meta.url);

async function redoclyBin(): Promise<string> {
  const pkgFile = require.resolve('@redocly/cli/package.json');
  const pkg = JSON.parse(await readFile(pkgFile, 'utf8')) as { version: string; bin: Record<string, string> };
  assert.is(pkg.version, '2.77.0', 'the pinned @redocly/cli');
  return path.join(path.dirname(pkgFile), pkg.bin.redocly!);
}

/** Lints `doc` with `redocly lint --extends recommended`; its problems. */
async function lint(doc: unknown): Promise<Problem[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cotc-openapi-lint-'));
  try {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc, null, 1));
    const bin = await redoclyBin();
    const { stdout, code } = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve, reject) => {
      execFile(
        process.execPath,
        [bin, 'lint', '--extends', 'recommended', '--format', 'json', file],
        {
          cwd: dir,
          // No telemetry and no update check: CI reaches no host but the package registries.
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 120_000,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
          if (code === -1) reject(new Error(`redocly did not run: ${err?.message}\n${stderr}`));
          else resolve({ stdout, stderr, code });
        },
      );
    });
    const out = JSON.parse(stdout) as { problems: Problem[] };
    assert.ok(Array.isArray(out.problems), 'redocly --format json: problems');
    const errors = out.problems.filter((p) => p.severity === 'error').length;
    assert.is(code === 0, errors === 0, `redocly exit ${code} with ${errors} errors`);
    return out.problems;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const show = (ps: Problem[]) => ps.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`).join('\n');

test('the served document passes Redocly recommended with no errors', async () => {
  const problems = await lint(openApiDocument());
  const errors = problems.filter((p) => p.severity === 'error');
  assert.is(errors.length, 0, `Redocly recommended errors:\n${show(errors)}`);
  const warns = new Map<string, number>();
  for (const p of problems) warns.set(p.ruleId, (warns.get(p.ruleId) ?? 0) + 1);
  console.log(`redocly lint --extends recommended: 0 errors, ${problems.length} warnings (${[...warns].map(([r, n]) => `${r} ${n}`).join(', ') || 'none'})`);
});

test('the linter reports errors: a copy missing a path parameter and its security fails', async () => {
  const copy = JSON.parse(JSON.stringify(openApiDocument())) as Obj;
  delete copy.security;
  copy.paths['/v1/events/{id}'].get.parameters = [];
  const errors = (await lint(copy)).filter((p) => p.severity === 'error');
  assert.ok(errors.some((p) => p.ruleId === 'path-parameters-defined'), show(errors));
  assert.ok(errors.some((p) => p.ruleId === 'security-defined'), show(errors));
});

test.run();
