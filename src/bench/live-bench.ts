/**
 * `openlfr bench live --cameras N`: the whole live system under load, as deployed. N stand-in IP
 * cameras stream a real clip (looped, MPEG-TS over HTTP, at real pace) into one LIVE deployment set up
 * through the governance services (demo users, a two-person watchlist, authority, go-live) on a
 * throwaway store; the server's LiveService runs them on the shared engine pool for `seconds`, storing
 * every alert as it would in service. Per camera: analysed frames a second, frames dropped (as a share
 * of the frames the camera offered at the analysed rate), alert latency from the frame's decoding to
 * the alert being stored; for the machine: RSS of the server and of the whole process tree (engine
 * workers, decoders and the stand-in cameras included), and the load average.
 */
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { setUpDemo } from '../demo/live-demo.ts';
import { SYSTEM_LIVE } from '../governance/model.ts';
import type { CameraStatus } from '../governance/live.ts';
import { probeVideo } from '../live/1-ingest.ts';
import { startCameraServer, type CameraServer } from '../live/camera-server.ts';

export interface LiveBenchOptions {
  cameras: number;
  seconds: number;
  analysedFps: number;
  /** The clip each camera streams (default: the Hamilton clip, 640x360). */
  clip?: string;
  /** Re-encode the stream to this width (e.g. 1920 for 1080p) instead of copying the clip's video. */
  width?: number;
  /** Seconds at the start not counted (connections, model warm-up). */
  warmupSec?: number;
}

export interface LiveBenchCamera {
  camera: string;
  analysedFps: number;
  droppedPct: number;
  alerts: number;
  alertLatencyMsP50: number | null;
  alertLatencyMsP95: number | null;
  reconnects: number;
  /** Decoder lag behind the camera at the end (s), and times it rejoined the live edge after falling 3 s behind. */
  decoderLagSec: number;
  catchUps: number;
}

/** RSS in MiB of a process and all its descendants (Linux /proc). */
function treeRssMiB(root: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      const pp = /PPid:\s+(\d+)/.exec(status);
      const vm = /VmRSS:\s+(\d+) kB/.exec(status);
      parent.set(Number(d), pp ? Number(pp[1]) : 0);
      rss.set(Number(d), vm ? Number(vm[1]) : 0);
    } catch {
      /* gone */
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p) ?? 0, i++) if (p === root) return true;
    return false;
  };
  let kb = 0;
  for (const [pid, v] of rss) if (inTree(pid)) kb += v;
  return Math.round(kb / 1024);
}

const q = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]!);
};

export async function runLiveBench(base: Config, o: LiveBenchOptions) {
  const clip = o.clip ?? join(base.datasets, 'hamilton', 'short_hamilton_clip.mp4');
  const info = await probeVideo(clip);
  const home = mkdtempSync(join(tmpdir(), 'openlfr-bench-live-'));
  const servers: CameraServer[] = [];
  try {
    for (let i = 0; i < o.cameras; i++) servers.push(await startCameraServer(clip, o.width ? { width: o.width } : {}));
    const config = loadConfig({ home, demo: true });
    const { services, deploymentId } = await setUpDemo(config, {
      source: servers[0]!.url,
      cameras: servers.map((s, i) => `cam-${i + 1}=${s.url}`),
      watchlist: ['lin-manuel-miranda.png', 'alex-lacamoire.png'].map((f) => join(base.datasets, 'hamilton', f)),
    });
    try {
      // alert latency, from the frame's decoding to the alert stored, is in the pipeline's own summary;
      // the counts are read from the live status at the end of the warm-up and at the end
      services.live.log = (line) => process.stderr.write(`${line}\n`); // stdout carries the JSON figures only
      await services.live.start(SYSTEM_LIVE, deploymentId, { analysedFps: o.analysedFps });
      const warm = o.warmupSec ?? 5;
      await new Promise((r) => setTimeout(r, warm * 1000));
      const snap = () => services.live.status(deploymentId).cameras;
      const a = snap();
      const t0 = performance.now();
      const rssSamples: number[] = [];
      const sampler = setInterval(() => rssSamples.push(treeRssMiB(process.pid)), 2000);
      await new Promise((r) => setTimeout(r, o.seconds * 1000));
      clearInterval(sampler);
      const b = snap();
      const wall = (performance.now() - t0) / 1000;
      const rssMainMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
      const load = loadavg()[0]!;
      const summaries = await services.live.stop(SYSTEM_LIVE, deploymentId);
      const cameras: LiveBenchCamera[] = servers.map((_, i) => {
        const name = `cam-${i + 1}`;
        const none: Partial<CameraStatus> = { reconnects: 0 };
        const x: Partial<CameraStatus> = a[name] ?? none;
        const y: Partial<CameraStatus> = b[name] ?? none;
        const d = (k: 'framesAnalysed' | 'framesDropped' | 'sourceFramesDropped') => (y[k] ?? 0) - (x[k] ?? 0);
        const offered = d('framesAnalysed') + d('framesDropped') + d('sourceFramesDropped');
        const s = summaries.find((z) => z.camera === name);
        const lat = (s?.alertList ?? []).map((al) => al.latencyMs);
        return {
          camera: name,
          analysedFps: Math.round((d('framesAnalysed') / wall) * 10) / 10,
          droppedPct: offered ? Math.round(((d('framesDropped') + d('sourceFramesDropped')) / offered) * 1000) / 10 : 0,
          alerts: s?.alerts ?? 0,
          alertLatencyMsP50: q(lat, 0.5),
          alertLatencyMsP95: q(lat, 0.95),
          reconnects: y.reconnects ?? 0,
          decoderLagSec: y.lagSec ?? 0,
          catchUps: y.catchUps ?? 0,
        };
      });
      const allLat = summaries.flatMap((s) => s.alertList.map((al) => al.latencyMs));
      return {
        cameras: o.cameras,
        stream: { clip: clip.split('/').slice(-2).join('/'), width: o.width ?? info.width, height: o.width ? Math.round((info.height * o.width) / info.width / 2) * 2 : info.height, fps: info.fps, transport: 'MPEG-TS over HTTP, real pace' },
        analysedFpsTarget: o.analysedFps,
        seconds: Math.round(wall),
        engine: (await services.engine()).id,
        workers: config.engine.workers,
        cores: availableParallelism(),
        perCamera: cameras,
        analysedFpsMin: Math.min(...cameras.map((c) => c.analysedFps)),
        droppedPctMax: Math.max(...cameras.map((c) => c.droppedPct)),
        alerts: allLat.length,
        alertLatencyMsP50: q(allLat, 0.5),
        alertLatencyMsP95: q(allLat, 0.95),
        rssServerMiB: rssMainMiB,
        rssTreeMiBMax: rssSamples.length ? Math.max(...rssSamples) : null,
        loadAvg1m: Math.round(load * 100) / 100,
        meetsTarget: cameras.every((c) => c.analysedFps >= o.analysedFps * 0.9 && c.droppedPct < 1) && (q(allLat, 0.95) ?? 0) < 300,
      };
    } finally {
      await services.close();
    }
  } finally {
    for (const s of servers) await s.close();
    rmSync(home, { recursive: true, force: true });
  }
}
