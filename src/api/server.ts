/** Runs the API on a port, with the retention job (sweep, alert crops, audit check) at start and on a timer. */
import { serve } from '@hono/node-server';
import type { Config } from '../config.ts';
import type { FaceEngine } from '../engine/port.ts';
import { defaultEngine } from '../governance/engine-provider.ts';
import { openServices, type Services } from '../governance/services.ts';
import { createApp, type App } from './app.ts';
import { OpenLfrError, isOpenLfrError } from '../errors.ts';
import { SYSTEM_LIVE } from '../governance/model.ts';
import type { LiveRunOptions } from '../governance/live.ts';
import type { AuditAlarm } from '../governance/retention.ts';

export interface RunningServer {
  url: string;
  app: App;
  services: Services;
  close(): Promise<void>;
}

export async function startServer(config: Config, engine: (c: Config) => Promise<FaceEngine> = defaultEngine): Promise<RunningServer> {
  return startServerOn(await openServices(config, engine), config);
}

/** Serve already-open services: the sweep at start and on a timer, and the live pipelines of live deployments. */
export async function startServerOn(services: Services, config: Config, liveOptions: LiveRunOptions = {}): Promise<RunningServer> {
  // a deployment that goes live starts its cameras; deployments already live when the server starts resume
  const lastStartError = new Map<string, string>(); // said once, not every few seconds
  const startLive = (id: string) =>
    services.live.start(SYSTEM_LIVE, id, liveOptions).then(
      () => lastStartError.delete(id),
      (e: unknown) => {
        const msg = (e as Error).message;
        if (!(isOpenLfrError(e) && e.code === 'CONFLICT') && lastStartError.get(id) !== msg) console.error(`openlfr live: deployment ${id}: ${msg}`);
        lastStartError.set(id, msg);
      },
    );
  services.events.on('deployment', (e: { id: string; state: string }) => {
    if (e.state === 'LIVE') void startLive(e.id);
  });
  // Every few seconds, take on the live deployments no server runs (none at start; later, those of a
  // server that stopped or died: its lease in the database expires). With one server this only finds
  // what it already runs. Cameras whose recordings ended are left ended.
  const adopt = async () => {
    try {
      const here = new Set(services.live.runningHere());
      for (const d of await services.deployments.list(SYSTEM_LIVE, 'LIVE')) if (!here.has(d.id)) await startLive(d.id);
    } catch (e) {
      console.error(`openlfr live: could not look for live deployments to run: ${(e as Error).message}`);
    }
  };
  await adopt();
  const adoptTimer = setInterval(() => void adopt(), Math.max(1000, Math.floor((liveOptions.leaseMs ?? 15_000) / 3)));
  adoptTimer.unref();
  // a broken audit chain is shouted: the console shows GET /api/v1/oversight/status, and the log says it
  services.events.on('audit-alarm', (a: AuditAlarm) => console.error(`openlfr AUDIT ALARM: ${a.message} (checked ${a.at.toISOString()})`));
  const sweep = async () => {
    try {
      const r = await services.retention.run();
      const deleted = Object.values(r.cropsDeleted).flat().length;
      if (r.sweep.closed.length || r.sweep.cancelled.length || r.sweep.destroyed.length || deleted || r.interruptedDeletesFinished) {
        console.log(JSON.stringify({ retention: { ...r.sweep, cropsDeleted: r.cropsDeleted, interruptedDeletesFinished: r.interruptedDeletesFinished } }));
      }
    } catch (e) {
      console.error(`openlfr retention run failed: ${(e as Error).message}`);
    }
    try {
      const searches = await services.searches.sweep();
      if (searches.purged.length) console.log(JSON.stringify({ retention: { searchesPurged: searches.purged.length } }));
    } catch (e) {
      console.error(`openlfr search retention failed: ${(e as Error).message}`);
    }
  };
  await sweep(); // a machine that was off catches up at start
  await services.searches.warm(); // search indexes rebuilt from the store
  await services.searches.warm(); // search indexes rebuilt from the store
  const timer = setInterval(() => void sweep(), config.governance.sweepIntervalSec * 1000);
  timer.unref();
  const app = createApp(services);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.server.host, port: config.server.port }, () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new OpenLfrError('SERVER_PORT_IN_USE', `${config.server.host}:${config.server.port} is already in use (another OpenLFR? set OPENLFR_PORT)`)
          : e,
      ),
    );
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
  return {
    url: `http://${config.server.host}:${port}`,
    app,
    services,
    async close() {
      clearInterval(timer);
      clearInterval(adoptTimer);
      // end the push streams (console tabs keep them open for ever) and any idle keep-alive connection,
      // then give requests in hand a moment before cutting what is left
      services.events.emit('shutdown');
      const closed = new Promise<void>((r) => server.close(() => r()));
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      const cut = setTimeout(() => (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(), 2000);
      await closed;
      clearTimeout(cut);
      await services.close();
    },
  };
}
