/**
 * Runs the live pipeline for a LIVE deployment: one pipeline per camera, all sharing the engine pool,
 * matching against the frozen watchlist, raising alerts through the AlertService (the only way
 * biometric data leaves the pipeline). Pipelines stop by themselves when the deployment is closed or
 * cancelled, or when its authorised window ends.
 *
 * A camera entry of a deployment is `name=source` (or just `source`): a video file, an RTSP/HTTP
 * stream URL, or a folder of stills.
 *
 * Cameras look after themselves: each runs on its own, so one that is down, refused (404) or hung
 * never stops the others; a stream is retried with back-off for as long as the deployment is live; a
 * camera whose run fails (an alert that could not be stored, the engine lost) is restarted after a
 * pause, a recorded file resuming where it got to. Every loss and recovery is an audit entry, a log
 * line, a `camera` event on the push channel and a state in the live status.
 *
 * Several API servers may share one PostgreSQL store: a lease in the database (live_leases) lets
 * exactly one of them run a deployment's cameras; the others take over when it stops renewing.
 */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenLfrError } from '../errors.ts';
import type { EnginePool } from '../engine/pool.ts';
import { openStills, openVideo, type FrameSource, type SourceState } from '../live/1-ingest.ts';
import { FrozenWatchlist, type WatchlistTemplate } from '../live/6-match.ts';
import type { AlertCandidate, AlertSink } from '../live/7-alert.ts';
import { emptySummary, runLive, type LiveCounters, type LiveSummary } from '../live/pipeline.ts';
import { requirePermission } from './access.ts';
import { redactSource } from './camera-source-rules.ts';
import type { AlertService } from './alerts.ts';
import type { GovernanceDeps } from './deps.ts';
import { SYSTEM_LIVE, actorOf, type Principal } from './model.ts';
import type { DeploymentService } from './deployments.ts';

export interface LiveRunOptions {
  /** Analysed frames per second per camera. */
  analysedFps?: number;
  /** `asap` for recorded files (benchmarks, demo), `realtime` for cameras. Default: realtime for streams, asap for files. */
  pace?: 'asap' | 'realtime';
  /** Back-off before a failed camera run is restarted, and between stream reconnections (ms). */
  retry?: { minMs: number; maxMs: number };
  /** Save each camera's counters (and a file's resume position) this often (ms). */
  saveEveryMs?: number;
  /** The lease on the deployment lasts this long unless renewed (renewed every third of it) (ms). */
  leaseMs?: number;
  /** A stream that delivers no frame for this long is treated as hung and reconnected (s). */
  stallSec?: number;
  /** A person asked to start again cameras that had ended (recordings played to their end). */
  restart?: boolean;
}

/** A camera's health: the source's state, or `failed` when its run stopped on an error and waits to restart. */
export type CameraState = SourceState;

export interface CameraStatus extends Partial<LiveCounters> {
  state: CameraState;
  /** ISO time of the last change of state. */
  since: string;
  /** Why it is down or failed (or was, last time). Never holds credentials. */
  reason?: string;
  reconnects: number;
  restarts: number;
  /** Streams: how far the decoder was behind the camera at the last frame (s). */
  lagSec?: number;
  /** Times the stream was rejoined at its live edge because the decoder fell behind. */
  catchUps?: number;
}

interface Running {
  deploymentId: string;
  abort: AbortController;
  cameras: Map<string, CameraStatus>;
  /** Each camera's current source (its reconnection count is read live). */
  sources: Map<string, FrameSource>;
  done: Promise<LiveSummary[]>;
  startedAt: Date;
}

const DEFAULT_RUN = { retry: { minMs: 1000, maxMs: 30_000 }, saveEveryMs: 10_000, leaseMs: 15_000 };

/** Reasons come from ffmpeg, which may echo the URL it was given: every URL in them is redacted. */
const redactText = (text: string) => text.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (m) => redactSource(m));

const isStreamSource = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

export class LiveService {
  private readonly running = new Map<string, Running>();
  /** This server's name on leases: host, process and a random part (two servers on one host differ). */
  readonly serverId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Where a camera's losses and recoveries are logged, one JSON line each (stdout for the server). */
  log: (line: string) => void = (line) => console.log(line);

  constructor(
    private readonly d: GovernanceDeps,
    private readonly deployments: DeploymentService,
    private readonly alerts: AlertService,
  ) {
    // a deployment that is closed, cancelled or swept stops its pipelines at once
    d.events.on('deployment', (e: { id: string; state: string }) => {
      if (e.state === 'CLOSED' || e.state === 'CANCELLED') this.running.get(e.id)?.abort.abort();
    });
    // cameras run by another server on the same store: their state and counts arrive as events (see
    // store/event-bridge.ts) and are shown in this server's live status
    const remember = (e: { deploymentId?: string; camera?: string; finished?: boolean } & Partial<CameraStatus>) => {
      if (!e.deploymentId || !e.camera || this.running.has(e.deploymentId)) return;
      const cams = this.remote.get(e.deploymentId) ?? new Map<string, CameraStatus & { seenAt: number }>();
      const { deploymentId: _d, camera, finished: _f, ...rest } = e;
      const prev = cams.get(camera) ?? { state: 'connecting' as CameraState, since: new Date().toISOString(), reconnects: 0, restarts: 0, seenAt: 0 };
      cams.set(camera, { ...prev, ...rest, seenAt: Date.now() });
      this.remote.set(e.deploymentId, cams);
    };
    d.events.on('camera', remember);
    d.events.on('counters', remember);
  }

  /** The cameras' last states once a run is over (shown until the next run). */
  private readonly lastRun = new Map<string, Map<string, CameraStatus>>();
  /** Cameras of deployments run by another server, as last heard of. */
  private readonly remote = new Map<string, Map<string, CameraStatus & { seenAt: number }>>();

  /**
   * Start the pipelines of a live deployment's cameras. Resolves once they are started (a camera that
   * is down keeps trying by itself). CONFLICT when they already run here or on another server.
   */
  async start(p: Principal, deploymentId: string, o: LiveRunOptions = {}): Promise<{ cameras: string[] }> {
    requirePermission(p, 'live.operate');
    if (this.running.has(deploymentId)) throw new OpenLfrError('CONFLICT', `The pipeline of deployment ${deploymentId} is already running`);
    const dep = await this.deployments.get(SYSTEM_LIVE, deploymentId);
    if (dep.state !== 'LIVE') throw new OpenLfrError('DEPLOYMENT_STATE', `Deployment ${deploymentId} is ${dep.state}: only a live deployment's cameras run`);
    const leaseMs = o.leaseMs ?? DEFAULT_RUN.leaseMs;
    const leases = this.d.store.repos.leases;
    if (!(await leases.acquire(deploymentId, this.serverId, Date.now(), leaseMs, o.restart ?? false))) {
      const holder = await leases.get(deploymentId);
      throw new OpenLfrError('CONFLICT', `The cameras of deployment ${deploymentId} are run by another server (${holder?.holder ?? 'unknown'})`);
    }
    // from here on the lease is ours: give it back if the start fails
    const abort = new AbortController();
    let watchlist: FrozenWatchlist | null = null;
    try {
      const frozen = await this.deployments.frozenWatchlist(SYSTEM_LIVE, deploymentId);
      const engine = (await this.d.engine()) as EnginePool;
      if (engine.id !== frozen.engineId) throw new OpenLfrError('WATCHLIST_ENGINE_MISMATCH', `The watchlist was frozen for ${frozen.engineId}, the engine is ${engine.id}`);
      // a template's id names its watchlist entry, so an alert shows the operator the reference photo that matched
      const templates = frozen.subjects.flatMap((s) => s.templates.map((t, i): WatchlistTemplate & { entryId: string } => ({ templateId: `${t.entryId}#${i}`, subjectId: s.subjectRef, vector: t.vector, entryId: t.entryId })));
      const entryOfTemplate = new Map(templates.map((t) => [t.templateId, t.entryId]));
      watchlist = await FrozenWatchlist.build(templates, engine.info.dims);
      for (const t of templates) t.vector.fill(0); // the matcher holds its own copy
      // the real sources: credentials unsealed, files resolved under the media root, each checked again
      // against the allow-list (a source taken off it since go-live does not run)
      const cameras = await this.deployments.cameras.sources(SYSTEM_LIVE, deploymentId);
      const run: Running = { deploymentId, abort, cameras: new Map(), sources: new Map(), done: Promise.resolve([]), startedAt: this.d.clock.now() };
      const now = () => this.d.clock.now().toISOString();
      for (const c of cameras) run.cameras.set(c.name, { state: 'connecting', since: now(), reconnects: 0, restarts: 0 });

      // the authorised window's end stops the cameras (a timer holds at most 2^31-1 ms: re-armed until then)
      let windowTimer: NodeJS.Timeout;
      const armWindow = () => {
        const msLeft = dep.endsAt.getTime() - this.d.clock.now().getTime();
        if (msLeft <= 0) return abort.abort();
        windowTimer = setTimeout(armWindow, Math.min(msLeft, 2 ** 31 - 1));
      };
      armWindow();
      // keep the lease while running; losing it (another server took over, or the database is gone for a
      // whole lease) stops the cameras here, so two servers never run them at once
      let renewedAt = Date.now();
      const leaseTimer = setInterval(() => {
        leases.acquire(deploymentId, this.serverId, Date.now(), leaseMs).then(
          (held) => {
            if (held) renewedAt = Date.now();
            else {
              console.error(`openlfr live: deployment ${deploymentId}: another server took over its cameras; stopping here`);
              abort.abort();
            }
          },
          (e: unknown) => {
            if (Date.now() - renewedAt > leaseMs * 0.8) {
              console.error(`openlfr live: deployment ${deploymentId}: lease not renewed (${(e as Error).message}); stopping here`);
              abort.abort();
            }
          },
        );
      }, Math.max(200, Math.floor(leaseMs / 3)));

      const wl = watchlist;
      run.done = Promise.all(
        cameras.map((c) => this.runCamera(run, c.name, c.source, engine, wl, frozen.threshold, entryOfTemplate, o)),
      ).finally(async () => {
        clearTimeout(windowTimer!);
        clearInterval(leaseTimer);
        await wl.close();
        this.running.delete(deploymentId);
        this.lastRun.set(deploymentId, new Map([...run.cameras].map(([k, v]) => [k, { ...v }]))); // "ended", "stopped", with reasons
        // cameras that ended by themselves stay ended; stopped ones may be taken over by another server at once
        const ended = !abort.signal.aborted;
        await (ended ? leases.finish(deploymentId, this.serverId) : leases.release(deploymentId, this.serverId)).catch(() => undefined);
      });
      this.running.set(deploymentId, run);
      return { cameras: cameras.map((c) => c.name) };
    } catch (e) {
      await watchlist?.close();
      await leases.release(deploymentId, this.serverId).catch(() => undefined);
      throw e;
    }
  }

  /**
   * One camera, for as long as the deployment runs: open, run, save its counters as it goes; when the
   * run fails, say so and start again after a back-off. Never rejects.
   */
  private async runCamera(
    run: Running,
    name: string,
    configured: string,
    engine: EnginePool,
    watchlist: FrozenWatchlist,
    threshold: number,
    entryOfTemplate: Map<string, string>,
    o: LiveRunOptions,
  ): Promise<LiveSummary> {
    const { deploymentId, abort } = run;
    const retry = o.retry ?? DEFAULT_RUN.retry;
    const stream = isStreamSource(configured);
    const analysedFps = o.analysedFps ?? 10;
    let attempt = 0;
    let last: LiveSummary | null = null;
    const status = run.cameras.get(name)!;
    while (!abort.signal.aborted) {
      // where a recorded source got to, and who was alerted just before, so a restart raises nothing twice
      const stored = stream ? undefined : (await this.d.store.repos.counters.byDeployment(deploymentId).catch(() => [])).find((r) => r.camera === name);
      const resumeAt = stored?.positionSec ?? 0;
      const alreadyAlerted = new Map<string, number>();
      if (resumeAt > 0) {
        for (const a of await this.d.store.repos.alerts.byDeployment(deploymentId).catch(() => [])) {
          if (a.camera === name && a.videoTimeSec !== null && a.videoTimeSec !== undefined && a.videoTimeSec >= resumeAt - 10)
            alreadyAlerted.set(a.subjectRef, Math.max(alreadyAlerted.get(a.subjectRef) ?? 0, resumeAt + 10));
        }
      }
      let source: FrameSource;
      try {
        source = await this.open(configured, o, resumeAt);
      } catch (e) {
        // a file or folder that is missing or not a video: nothing to retry until someone fixes the deployment
        await this.setCamera(run, name, 'failed', (e as Error).message);
        break;
      }
      run.sources.set(name, source);
      source.onState?.((s, detail) => void this.setCamera(run, name, s, detail));
      if (!source.onState) await this.setCamera(run, name, 'up');
      let saved: LiveCounters | null = null;
      let latest: (LiveCounters & { positionSec?: number }) | null = null;
      const save = async (final: boolean) => {
        const cur = latest;
        if (!cur) return;
        const base = saved;
        const delta = (k: Exclude<keyof LiveCounters, 'positionSec'>) => cur[k] - (base?.[k] ?? 0);
        const ended = final && source.stats.state === 'ended';
        await this.d.store.repos.counters.add(
          {
            deploymentId,
            camera: name,
            framesDecoded: delta('framesDecoded'),
            framesAnalysed: delta('framesAnalysed'),
            framesDropped: delta('framesDropped') + delta('sourceFramesDropped'),
            facesDetected: delta('facesDetected'),
            tracks: delta('tracks'),
            alerts: delta('alerts'),
            // a file played to its end starts from the beginning next time
            positionSec: stream || ended ? 0 : Math.max(resumeAt, cur.positionSec ?? 0),
          },
          this.d.clock.now(),
        );
        saved = cur;
      };
      const saver = setInterval(() => {
        save(false).catch((e: unknown) => console.error(`openlfr live: ${deploymentId}/${name}: counters not saved (${(e as Error).message}); kept for the next save`));
      }, o.saveEveryMs ?? DEFAULT_RUN.saveEveryMs);
      let failure: unknown = null;
      try {
        last = await runLive(source, engine, watchlist, this.sink(deploymentId, name, entryOfTemplate, retry), {
          camera: name,
          threshold,
          analysedFps,
          pace: o.pace ?? (stream ? 'realtime' : 'asap'),
          signal: abort.signal,
          alreadyAlerted,
          onProgress: (c) => {
            latest = { ...c, sourceFramesDropped: source.stats.framesDropped };
            latest.framesDecoded = source.stats.framesDecoded;
            Object.assign(status, c, { reconnects: source.stats.reconnects });
            if (c.framesAnalysed % 10 === 0) this.d.events.emit('counters', { deploymentId, camera: name, ...c, state: status.state });
          },
        });
        latest = { ...last };
      } catch (e) {
        failure = e;
      } finally {
        clearInterval(saver);
        source.stop();
      }
      await save(true).catch((e: unknown) => console.error(`openlfr live: ${deploymentId}/${name}: counters not saved (${(e as Error).message})`));
      if (last) this.d.events.emit('counters', { deploymentId, ...last, camera: name, finished: true, state: status.state });
      if (abort.signal.aborted) break;
      if (!failure && (source.stats.state === 'ended' || source.stats.state === 'failed')) {
        if (source.stats.state === 'ended') await this.setCamera(run, name, 'ended');
        break; // a file played to its end, or a broken file: done
      }
      // the run failed (an alert could not be stored, the engine was lost) or the source gave up: restart
      const why = failure ? `the camera's run failed: ${failure instanceof Error ? failure.message : String(failure)}` : `the source stopped: ${source.stats.error ?? 'no reason given'}`;
      await this.setCamera(run, name, 'failed', why);
      const wait = Math.min(retry.maxMs, retry.minMs * 2 ** attempt++);
      try {
        await sleep(wait, undefined, { signal: abort.signal });
      } catch {
        break;
      }
      status.restarts++;
      await this.setCamera(run, name, 'connecting');
    }
    if (status.state !== 'ended' && status.state !== 'failed') await this.setCamera(run, name, 'stopped');
    return last ?? emptySummary(name);
  }

  /** Where alerts go: the AlertService, retried a few times before the run is failed (the crop is wiped either way). */
  private sink(deploymentId: string, camera: string, entryOfTemplate: Map<string, string>, retry: { minMs: number; maxMs: number }): AlertSink {
    return {
      raise: async (a: AlertCandidate) => {
        try {
          for (let i = 0; ; i++) {
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
              return;
            } catch (e) {
              if (i >= 2) throw new OpenLfrError('INTERNAL', `a possible match could not be stored after 3 tries (${(e as Error).message})`);
              console.error(`openlfr live: ${deploymentId}/${camera}: a possible match could not be stored (${(e as Error).message}); trying again`);
              await sleep(Math.min(retry.maxMs, retry.minMs * 2 ** i));
            }
          }
        } finally {
          a.crop.data.fill(0);
        }
      },
    };
  }

  /** Record a camera's change of state: status, push event, log line, and an audit entry for losses and recoveries. */
  private async setCamera(run: Running, camera: string, state: CameraState, detail?: string): Promise<void> {
    const st = run.cameras.get(camera);
    if (!st) return;
    const before = st.state;
    const reason = detail ? redactText(detail).slice(0, 300) : undefined;
    if (before === state && (!reason || reason === st.reason)) return;
    st.state = state;
    st.since = this.d.clock.now().toISOString();
    if (reason) st.reason = reason;
    const event = { deploymentId: run.deploymentId, camera, state, ...(reason ? { reason } : {}), since: st.since };
    this.d.events.emit('camera', event);
    if (before === state) return; // a new reason while still down: no new entry
    const lost = (state === 'down' || state === 'failed') && before !== 'down' && before !== 'failed';
    const back = state === 'up';
    if (lost || back) this.log(JSON.stringify({ live: event }));
    if (!lost && !back) return;
    const action = back ? (before === 'connecting' && st.restarts === 0 && st.reconnects === 0 ? 'live.camera.up' : 'live.camera.recovered') : `live.camera.${state}`;
    await this.d.store
      .tx((_r, tx) =>
        this.d.audit.append(tx, {
          actor: actorOf(SYSTEM_LIVE),
          action,
          target: `deployment:${run.deploymentId}`,
          reason: back ? `camera ${camera} is delivering frames` : (reason ?? `camera ${camera} is ${state}`),
          details: { camera, state },
        }),
      )
      .catch((e: unknown) => console.error(`openlfr live: camera ${camera} ${state}: not audited (${(e as Error).message})`));
  }

  private async open(source: string, o: LiveRunOptions, resumeAt: number): Promise<FrameSource> {
    let isDir = false;
    try {
      isDir = statSync(source).isDirectory();
    } catch {
      /* a stream URL or a missing file: openVideo says which */
    }
    if (isDir) return openStills(source, { maxPixels: this.d.config.engine.maxImagePixels, maxBytes: this.d.config.engine.maxImageBytes }, o.analysedFps ?? 1);
    const stream = isStreamSource(source);
    return openVideo(source, {
      pace: o.pace ?? (stream ? 'realtime' : 'asap'),
      ...(stream ? { outputFps: o.analysedFps ?? 10, backoff: o.retry ?? DEFAULT_RUN.retry, ...(o.stallSec ? { stallSec: o.stallSec } : {}) } : { startAtSec: resumeAt }),
    });
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

  status(deploymentId: string): { running: boolean; startedAt: Date | null; cameras: Record<string, CameraStatus>; runBy?: 'this server' | 'another server' } {
    const r = this.running.get(deploymentId);
    const remote = this.remote.get(deploymentId);
    const last = this.lastRun.get(deploymentId);
    if (!r && last && !remote) return { running: false, startedAt: null, cameras: Object.fromEntries([...last].map(([k, v]) => [k, { ...v }])) };
    if (!r && remote) {
      // heard of within the last minute, and not stopped: running on another server
      const cams = [...remote].filter(([, c]) => Date.now() - c.seenAt < 60_000);
      const active = cams.some(([, c]) => c.state !== 'stopped' && c.state !== 'ended');
      if (cams.length) return { running: active, startedAt: null, runBy: 'another server', cameras: Object.fromEntries(cams.map(([k, { seenAt: _s, ...c }]) => [k, c])) };
    }
    return {
      running: !!r,
      ...(r ? { runBy: 'this server' as const } : {}),
      startedAt: r?.startedAt ?? null,
      cameras: Object.fromEntries(
        [...(r?.cameras ?? [])].map(([k, v]) => {
          const st = r?.sources.get(k)?.stats;
          return [k, { ...v, reconnects: st?.reconnects ?? v.reconnects, ...(st?.lagSec !== undefined ? { lagSec: Math.round(st.lagSec * 100) / 100 } : {}), ...(st?.catchUps ? { catchUps: st.catchUps } : {}) }];
        }),
      ),
    };
  }

  /** Deployments whose cameras run on this server. */
  runningHere(): string[] {
    return [...this.running.keys()];
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort();
    await Promise.allSettled(all.map((r) => r.done));
  }
}
