// A server in a child process, for the SIGKILL tests (test/log/crash.test.ts,
// test/witness/crash.test.ts): started with tsx, it prints `listening <url>` on stdout
// once it answers; killed with SIGKILL, no chance to flush or close anything.
import { spawn, type ChildProcess } from 'node:child_process';

/** Spawns `node --import tsx <script> ...args` and resolves with its url once it prints `listening <url>`. */
export async function startChild(script: string, args: string[], what: string, startMs = 20_000): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${startMs / 1000} s`)), startMs);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
  return { proc, url };
}

/** SIGKILLs the child (if still running) and resolves once it is gone. */
export function kill(proc: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return r();
    proc.once('exit', () => r());
    proc.kill('SIGKILL');
  });
}
