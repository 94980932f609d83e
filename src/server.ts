// Starting and stopping the server on a data directory (embedded LevelDB).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDataDir } from './log/datadir.ts';
import { LogService } from './log/service.ts';
import { LevelStore } from './storage/level.ts';
import { createApp, type AppDeps } from './http/app.ts';

export interface RunningServer {
  url: string;
  log: LogService;
  server: http.Server;
  close(): Promise<void>;
}

export async function openLog(dir: string, opts: { origin?: string; operator?: string; maxBatch?: number } = {}): Promise<LogService> {
  const dd = openDataDir(dir, opts);
  return LogService.open({ store: new LevelStore(dd.storePath), logKey: dd.logKey, operatorKey: dd.operatorKey, maxBatch: opts.maxBatch });
}

export async function startServer(
  dir: string,
  opts: { port?: number; host?: string; origin?: string; operator?: string; extend?: AppDeps['extend']; onRequest?: AppDeps['onRequest'] } = {},
): Promise<RunningServer> {
  const log = await openLog(dir, opts);
  const app = createApp({ log, extend: opts.extend, onRequest: opts.onRequest });
  const server = http.createServer(app);
  // Slow clients must not hold sockets forever (headers within 10 s, whole request 30 s).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    log,
    server,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await log.close();
    },
  };
}
