/**
 * Runs the live pipeline for a LIVE deployment: one pipeline per camera, all sharing the engine pool,
 * matching against the frozen watchlist, raising alerts through the AlertService (the only way
 * biometric data leaves the pipeline). Pipelines stop by themselves when the deployment is closed or
 * cancelled, or when its authorised window ends.
 *
 * A camera entry of a deployment is `name=source` (or just `source`): a video file, an RTSP/HTTP
 * stream URL, or a folder of stills.
 */
import { statSync } from 'node:fs';
import { OpenLfrError } from '../errors.ts';
import type { EnginePool } from '../engine/pool.ts';
import { openStills, openVideo, type FrameSource } from '../live/1-ingest.ts';
import { FrozenWatchlist, type WatchlistTemplate } from '../live/6-match.ts';
import type { AlertCandidate, AlertSink } from '../live/7-alert.ts';
import { runLive, type LiveCounters, type LiveSummary } from '../live/pipeline.ts';
import { requirePermission } from './access.ts';
import type { AlertService } from './alerts.ts';
import type { GovernanceDeps } from './deps.ts';
import { SYSTEM_LIVE, type Principal } from './model.ts';
import type { DeploymentService } from './deployments.ts';

export interface LiveRunOptions {
  /** Analysed frames per second per camera. */
  analysedFps?: number;
  /** `asap` for recorded files (benchmarks, demo), `realtime` for cameras. Default: realtime for streams, asap for files. */
  pace?: 'asap' | 'realtime';
}

interface Running {
  deploymentId: string;
  abort: AbortController;
  cameras: Map<string, LiveCounters>;
  done: Promise<LiveSummary[]>;
  startedAt: Date;
}

export function parseCamera(entry: string): { name: string; source: string } {
  const i = entry.indexOf('=');
  if (i > 0 && !/^[a-z]+:\/\//i.test(entry.slice(0, i + 3))) return { name: entry.slice(0, i).trim(), source: entry.slice(i + 1).trim() };
  return { name: entry.trim(), source: entry.trim() };
}

export class LiveService {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly d: GovernanceDeps,
    private readonly deployments: DeploymentService,
    private readonly alerts: AlertService,
  ) {
    // a deployment that is closed, cancelled or swept stops its pipelines at once
    d.events.on('deployment', (e: { id: string; state: string }) => {
      if (e.state === 'CLOSED' || e.state === 'CANCELLED') this.running.get(e.id)?.abort.abort();
    });
  }

  /** Start the pipelines of a live deployment's cameras. Resolves once they are running. */
  async start(p: Principal, deploymentId: string, o: LiveRunOptions = {}): Promise<{ cameras: string[] }> {
    requirePermission(p, 'live.operate');
    if (this.running.has(deploymentId)) throw new OpenLfrError('CONFLICT', `The pipeline of deployment ${deploymentId} is already running`);
    const dep = await this.deployments.get(SYSTEM_LIVE, deploymentId);
    if (dep.state !== 'LIVE') throw new OpenLfrError('DEPLOYMENT_STATE', `Deployment ${deploymentId} is ${dep.state}: only a live deployment's cameras run`);
    const frozen = await this.deployments.frozenWatchlist(SYSTEM_LIVE, deploymentId);
    const engine = (await this.d.engine()) as EnginePool;
    if (engine.id !== frozen.engineId) throw new OpenLfrError('WATCHLIST_ENGINE_MISMATCH', `The watchlist was frozen for ${frozen.engineId}, the engine is ${engine.id}`);
    // a template's id names its watchlist entry, so an alert shows the operator the reference photo that matched
    const templates = frozen.subjects.flatMap((s) => s.templates.map((t, i): WatchlistTemplate & { entryId: string } => ({ templateId: `${t.entryId}#${i}`, subjectId: s.subjectRef, vector: t.vector, entryId: t.entryId })));
    const entryOfTemplate = new Map(templates.map((t) => [t.templateId, t.entryId]));
    const watchlist = await FrozenWatchlist.build(templates, engine.info.dims);
    for (const t of templates) t.vector.fill(0); // the matcher holds its own copy
    const cameras = dep.cameras.map(parseCamera);
    const sources: Array<{ name: string; source: FrameSource }> = [];
    try {
      for (const c of cameras) sources.push({ name: c.name, source: await this.open(c.source, o) });
    } catch (e) {
      for (const s of sources) s.source.stop();
      await watchlist.close();
      throw e;
    }
    const abort = new AbortController();
    const msLeft = dep.endsAt.getTime() - this.d.clock.now().getTime();
    const timer = setTimeout(() => abort.abort(), Math.max(0, msLeft));
    const run: Running = { deploymentId, abort, cameras: new Map(), done: Promise.resolve([]), startedAt: this.d.clock.now() };
    const sink = (camera: string): AlertSink => ({
      raise: async (a: AlertCandidate) => {
        try {
          await this.alerts.raise(SYSTEM_LIVE, {
            deploymentId,
            camera,
            trackId: a.trackId,
            subjectRef: a.subjectId,
            entryId: entryOfTemplate.get(a.templateId),
            score: a.score,
            threshold: a.threshold,
            videoTimeSec: a.ptsSec,
            shotsFused: a.shotsFused,
            crop: a.crop,
          });
        } finally {
          a.crop.data.fill(0);
        }
      },
    });
    run.done = Promise.all(
      sources.map(async ({ name, source }) => {
        const summary = await runLive(source, engine, watchlist, sink(name), {
          camera: name,
          threshold: frozen.threshold,
          analysedFps: o.analysedFps ?? 10,
          pace: o.pace ?? (source.label.includes('://') ? 'realtime' : 'asap'),
          signal: abort.signal,
          onProgress: (c) => {
            run.cameras.set(name, c);
            if (c.framesAnalysed % 10 === 0) this.d.events.emit('counters', { deploymentId, camera: name, ...c });
          },
        });
        await this.d.store.repos.counters.add(
          {
            deploymentId,
            camera: name,
            framesDecoded: summary.framesDecoded,
            framesAnalysed: summary.framesAnalysed,
            framesDropped: summary.framesDropped + summary.sourceFramesDropped,
            facesDetected: summary.facesDetected,
            tracks: summary.tracks,
            alerts: summary.alerts,
          },
          this.d.clock.now(),
        );
        this.d.events.emit('counters', { deploymentId, ...summary, camera: name, finished: true });
        return summary;
      }),
    ).finally(async () => {
      clearTimeout(timer);
      await watchlist.close();
      this.running.delete(deploymentId);
    });
    this.running.set(deploymentId, run);
    return { cameras: cameras.map((c) => c.name) };
  }

  private async open(source: string, o: LiveRunOptions): Promise<FrameSource> {
    let isDir = false;
    try {
      isDir = statSync(source).isDirectory();
    } catch {
      /* a stream URL or a missing file: openVideo says which */
    }
    if (isDir) return openStills(source, { maxPixels: this.d.config.engine.maxImagePixels, maxBytes: this.d.config.engine.maxImageBytes }, o.analysedFps ?? 1);
    return openVideo(source, { pace: o.pace ?? (source.includes('://') ? 'realtime' : 'asap') });
  }

  /** Wait for a deployment's pipelines to finish (file sources end; streams run until stopped). */
  async wait(deploymentId: string): Promise<LiveSummary[]> {
    const r = this.running.get(deploymentId);
    return r ? r.done : [];
  }

  /** Stop a deployment's pipelines (the deployment stays live). */
  async stop(p: Principal, deploymentId: string): Promise<LiveSummary[]> {
    requirePermission(p, 'live.operate');
    const r = this.running.get(deploymentId);
    if (!r) return [];
    r.abort.abort();
    return r.done;
  }

  status(deploymentId: string): { running: boolean; startedAt: Date | null; cameras: Record<string, LiveCounters> } {
    const r = this.running.get(deploymentId);
    return { running: !!r, startedAt: r?.startedAt ?? null, cameras: Object.fromEntries(r?.cameras ?? []) };
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort();
    await Promise.allSettled(all.map((r) => r.done));
  }
}
