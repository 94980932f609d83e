// `pnpm bench http`: the hot read endpoints under autocannon, on a log of BENCH_ENTRIES
// entries (default 1M, built once by scripts/make-log.ts and cached), alone and under a
// concurrent write load, against the framework's ceiling measured in the same run: the
// same express 5 setup (same app settings and middleware style) answering a constant
// JSON body of the same size, and plain node:http answering the same constant.
//   BENCH_ENTRIES (default 1000000)  log size
//   BENCH_DURATION (default 10)      seconds per measurement (after a 2 s warm-up)
//   BENCH_CONNECTIONS (default 32)   autocannon connections
//   BENCH_WRITE_RATE (default 1000)  the background writer's target, events/s (arrays of 100)
//   BENCH_CPU_PROF=DIR               write a CPU profile of the server process to DIR
//
// The server (startServer, quiet) and the ceiling apps run in a child process, autocannon
// and the writer in this one, so the load generator does not share the server's event loop.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startServer } from '../src/server.ts';
import { ceilingServers, CONNECTIONS, DURATION, forkChild, machine, measure, percentile, sampleReads, startWriter, table, WARMUP, type Measured } from './bench-util.ts';
import { benchEntries, benchLogDir, makeLog, readBenchKeys } from './make-log.ts';

// ---- the server process -------------------------------------------------------------

type ToChild = { type: 'ceiling'; bodies: Record<string, { json?: unknown; text?: string }> } | { type: 'stop' };
type FromChild = { type: 'ready'; url: string; size: number } | { type: 'ceiling'; express: string; plain: string } | { type: 'stopped' };

async function serverProcess(dir: string): Promise<void> {
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', quiet: true });
  const closers: Array<() => void> = [];
  const send = (m: FromChild) => process.send!(m);
  process.on('message', async (m: ToChild) => {
    if (m.type === 'ceiling') {
      const c = await ceilingServers(m.bodies);
      closers.push(c.close);
      send({ type: 'ceiling', express: c.express, plain: c.plain });
    } else if (m.type === 'stop') {
      for (const close of closers) close();
      await s.close();
      send({ type: 'stopped' });
      process.exit(0);
    }
  });
  send({ type: 'ready', url: s.url, size: s.log.size });
}

// ---- the load generator -------------------------------------------------------------

const WRITE_RATE = Number(process.env.BENCH_WRITE_RATE ?? 1000);

async function benchMain(): Promise<void> {
  const N = benchEntries();
  console.log(`# pnpm bench http — log of ${N.toLocaleString('en-US')} entries\n`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}\n`);
  const built = await makeLog(benchLogDir(N), N);
  const dir = built.dir;

  const { child, next, exited: hasExited } = forkChild<FromChild>(fileURLToPath(import.meta.url), { COTC_BENCH_HTTP_ROLE: 'server', COTC_BENCH_DIR: dir }, [
    ...process.execArgv,
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
  ]);
  const ready = await next('ready');
  const base = ready.url;
  console.log(`server: ${base}, log size ${ready.size.toLocaleString('en-US')} (data dir ${dir})\n`);

  try {
    // Samples: donations whose money has moved (rounds drained, see make-log), and events
    // at uniformly random positions of the log (so mostly donations, as in the log).
    const meta = built.meta;
    const { traces, events } = await sampleReads(base, meta.rounds, ready.size);
    const checkpoint = await (await fetch(`${base}/checkpoint`)).text();
    const median = <T extends { bytes: number }>(xs: T[]) => [...xs].sort((a, b) => a.bytes - b.bytes)[Math.floor(xs.length / 2)]!;
    const mt = median(traces);
    const me = median(events);
    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `median ${percentile(s, 50).toLocaleString('en-US')}, p90 ${percentile(s, 90).toLocaleString('en-US')}, max ${s[s.length - 1]!.toLocaleString('en-US')}`;
    };
    const hopKinds = new Map<string, number>();
    for (const t of traces) hopKinds.set(t.hops, (hopKinds.get(t.hops) ?? 0) + 1);
    console.log(`trace samples: ${traces.length} donations with multi-hop traces; bytes ${stats(traces.map((t) => t.bytes))}; entries per bundle ${stats(traces.map((t) => t.entries))}`);
    console.log(`  shapes: ${[...hopKinds].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} ×${n}`).join('; ')}`);
    console.log(`event samples: ${events.length} at random seqs (${events.filter((e) => e.type === 'donation').length} donations); bytes ${stats(events.map((e) => e.bytes))}`);
    console.log(`checkpoint: ${Buffer.byteLength(checkpoint)} bytes\n`);

    child.send({ type: 'ceiling', bodies: { trace: { json: mt.body }, event: { json: me.body }, checkpoint: { text: checkpoint } } } satisfies ToChild);
    const ceil = await next('ceiling');

    const rows: Array<Array<string | number>> = [];
    const tracePaths = traces.map((t) => t.path);
    const eventPaths = events.map((e) => e.path);
    const res: Record<string, Measured> = {};
    const run = async (key: string, url: string, paths: string[]) => {
      process.stderr.write(`  running ${key} …\n`);
      res[key] = await measure(url, paths);
      if (res[key]!.bad > 0) console.log(`warning: ${key}: ${res[key]!.bad} non-2xx answers, errors or timeouts`);
    };
    // Ceilings first and last would bracket drift; run them after the real reads.
    await run('trace', base, tracePaths);
    await run('event', base, eventPaths);
    await run('checkpoint', base, ['/checkpoint']);
    const seconds = 2 * (WARMUP + DURATION) + 6;
    const writer = startWriter(base, readBenchKeys(dir), WRITE_RATE, seconds);
    writer.start();
    await run('trace+w', base, tracePaths);
    await run('event+w', base, eventPaths);
    const w = await writer.stop();
    for (const k of ['trace', 'event', 'checkpoint'] as const) {
      await run(`express ${k}`, ceil.express, ['/' + k]);
      await run(`node ${k}`, ceil.plain, ['/' + k]);
    }

    const sizeOf = { trace: mt.bytes, event: me.bytes, checkpoint: Buffer.byteLength(checkpoint) };
    const row = (label: string, key: string, ceilKey: 'trace' | 'event' | 'checkpoint', bytes: string) => {
      const m = res[key]!;
      const c = res[`express ${ceilKey}`]!;
      rows.push([label, bytes, m.rps, m.p50, m.p99, m.mbps, key.startsWith('express') ? '1.00' : (m.rps / c.rps).toFixed(2), m.load]);
    };
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    row('GET /v1/donations/:id/trace (200 ids, rotating)', 'trace', 'trace', `${kb(sizeOf.trace)} (median)`);
    row('GET /v1/events/:id (500 ids, rotating)', 'event', 'event', `${kb(sizeOf.event)} (median)`);
    row('GET /checkpoint', 'checkpoint', 'checkpoint', `${sizeOf.checkpoint} B`);
    row(`GET /v1/donations/:id/trace, under writes`, 'trace+w', 'trace', `${kb(sizeOf.trace)} (median)`);
    row(`GET /v1/events/:id, under writes`, 'event+w', 'event', `${kb(sizeOf.event)} (median)`);
    for (const k of ['trace', 'event', 'checkpoint'] as const) {
      row(`ceiling: express 5, constant ${k}-size answer`, `express ${k}`, k, k === 'checkpoint' ? `${sizeOf[k]} B` : kb(sizeOf[k]));
      row(`ceiling: node:http, constant ${k}-size answer`, `node ${k}`, k, k === 'checkpoint' ? `${sizeOf[k]} B` : kb(sizeOf[k]));
    }
    console.log(
      `autocannon: ${CONNECTIONS} connections, ${DURATION} s per row after a ${WARMUP} s warm-up, loopback; server (startServer, quiet) and ceilings in a child process\n`,
    );
    console.log(table(['route', 'answer size', 'req/s', 'p50 ms', 'p99 ms', 'MiB/s', 'vs express ceiling', 'load (1 min)'], rows));
    console.log();
    console.log(
      `background writer during the "under writes" rows: target ${WRITE_RATE.toLocaleString('en-US')} events/s in arrays of 100, achieved ${w.eps.toLocaleString('en-US')} events/s (${w.accepted.toLocaleString('en-US')} appended, ${w.refused} refused, ${w.skipped} arrays skipped with 8 in flight), ack p50 ${w.p50.toFixed(1)} ms, p99 ${w.p99.toFixed(1)} ms`,
    );
    console.log(`\nload average at end (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} (this benchmark's own two processes count for up to ~2 of it)`);
  } finally {
    child.send({ type: 'stop' } satisfies ToChild);
    await Promise.race([next('stopped').catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    if (hasExited() === undefined) await new Promise((r) => child.once('exit', r));
  }
}

if (process.env.COTC_BENCH_HTTP_ROLE === 'server') await serverProcess(process.env.COTC_BENCH_DIR!);
else await benchMain();
