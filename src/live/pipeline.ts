/**
 * The live pipeline, in order:
 *   1 ingest -> 2 detect -> 3 track -> 4 select (quality gate, best shots) -> 5 embed ->
 *   6 match (fused per track, frozen watchlist) -> 7 alert (possible match, for a person) ->
 *   8 discard (everything else is overwritten in memory; only counters survive).
 * Human review and outcomes happen after stage 7, in the governance services and the console.
 *
 * Privacy invariant: no frame, crop, chip or embedding leaves this module except through the
 * AlertSink, and only for a track whose fused score reached the threshold. Every buffer is
 * overwritten with zeros once its frame or track is done.
 */
import type { Face, FaceEngine, RgbImage } from '../engine/port.ts';
import { wipe } from '../engine/port.ts';
import type { FrameSource } from './1-ingest.ts';
import { detectFrames, type DetectStats } from './2-detect.ts';
import { Tracker, DEFAULT_TRACKER, type TrackState, type TrackerOptions } from './3-track.ts';
import { DEFAULT_GATE, DEFAULT_SHOTS, cropForReview, gateFailure, shotScore, wantShot, type QualityGate, type ShotHistory, type ShotPolicy } from './4-select.ts';
import { fuse, type FrozenWatchlist } from './6-match.ts';
import type { AlertSink } from './7-alert.ts';

export interface LiveOptions {
  camera: string;
  threshold: number;
  analysedFps: number;
  pace: 'asap' | 'realtime';
  gate?: QualityGate;
  shots?: ShotPolicy;
  tracker?: TrackerOptions;
  /** How shots of a track are combined: `mean` (default, documented in 6-match.ts), `single` (first shot only), `max`. */
  fusion?: 'mean' | 'single' | 'max';
  /** Stop when aborted (deployment closed, window ended). */
  signal?: AbortSignal;
  /** Called after every analysed frame with live counters (for the console). */
  onProgress?: (c: LiveCounters) => void;
  /** Subjects already alerted on this camera, each until a media time: a restarted recording that
   *  resumes where it stopped does not raise the same possible match twice. */
  alreadyAlerted?: ReadonlyMap<string, number>;
}

export interface LiveCounters extends DetectStats {
  framesDecoded: number;
  sourceFramesDropped: number;
  tracks: number;
  facesGatedOut: number;
  shotsEmbedded: number;
  alerts: number;
  /** Media time of the last frame handed on (a recording's resume point). */
  positionSec?: number;
}

export interface LiveAlert {
  subjectId: string;
  score: number;
  trackId: number;
  videoTimeSec: number;
  latencyMs: number;
}

export interface LiveSummary extends LiveCounters {
  camera: string;
  videoSeconds: number;
  wallSeconds: number;
  realtimeFactor: number;
  analysedFpsAchieved: number;
  alertLatencyMsP50: number | null;
  alertLatencyMsP95: number | null;
  alertList: LiveAlert[];
  reconnects: number;
  stoppedBy: 'end' | 'signal';
  error?: string;
}

interface TrackData {
  shots: Float32Array[];
  history: ShotHistory;
  alerted: Set<string>;
  chain: Promise<void>;
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 10) / 10;
};

export function zeroCounters(): LiveCounters {
  return { framesDecoded: 0, sourceFramesDropped: 0, framesAnalysed: 0, framesSkipped: 0, framesDropped: 0, facesDetected: 0, tracks: 0, facesGatedOut: 0, shotsEmbedded: 0, alerts: 0 };
}

/** The summary of a camera that never ran (its source could not be opened). */
export function emptySummary(camera: string): LiveSummary {
  return {
    camera,
    ...zeroCounters(),
    videoSeconds: 0,
    wallSeconds: 0,
    realtimeFactor: 0,
    analysedFpsAchieved: 0,
    alertLatencyMsP50: null,
    alertLatencyMsP95: null,
    alertList: [],
    reconnects: 0,
    stoppedBy: 'signal',
  };
}

export async function runLive(source: FrameSource, engine: FaceEngine & { size?: number }, watchlist: FrozenWatchlist, sink: AlertSink, opts: LiveOptions): Promise<LiveSummary> {
  const gate = opts.gate ?? DEFAULT_GATE;
  const policy = opts.shots ?? DEFAULT_SHOTS;
  const fusion = opts.fusion ?? 'mean';
  const dims = engine.info.dims;
  const c = zeroCounters();
  const alertList: LiveAlert[] = [];
  const tracker = new Tracker<TrackData>(
    () => ({ shots: [], history: { embedded: 0, bestScore: 0, lastEmbedSec: -Infinity }, alerted: new Set(), chain: Promise.resolve() }),
    opts.tracker ?? DEFAULT_TRACKER,
  );
  const inFlight = new Set<Promise<void>>();
  let lastPts = 0;
  let firstError: unknown = null;
  const onAbort = () => source.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const t0 = performance.now();

  /** Stage 8: a track is over; overwrite everything it held. */
  const discard = async (t: TrackState<TrackData>) => {
    await t.data.chain;
    for (const v of t.data.shots) wipe(v);
    t.data.shots.length = 0;
  };

  /** Stages 5-7 for one selected shot, queued on its track so a track's shots are handled in order. */
  const embedAndMatch = (t: TrackState<TrackData>, face: Face, crop: RgbImage, pts: number, frameIndex: number, decodedAt: number) => {
    const p = (t.data.chain = t.data.chain.then(async () => {
      try {
        const v = await engine.embed(face);
        c.shotsEmbedded++;
        let probe: Float32Array;
        if (fusion === 'single') {
          if (t.data.shots.length > 0) return wipe(v);
          t.data.shots.push(v);
          probe = v;
        } else {
          t.data.shots.push(v);
          probe = fusion === 'mean' ? fuse(t.data.shots, new Float32Array(dims)) : v;
        }
        const hits = await watchlist.match(probe, opts.threshold);
        if (probe !== v) wipe(probe);
        for (const hit of hits) {
          if (t.data.alerted.has(hit.subject)) continue;
          t.data.alerted.add(hit.subject);
          if ((opts.alreadyAlerted?.get(hit.subject) ?? -Infinity) >= pts) continue; // raised before the restart
          c.alerts++;
          await sink.raise({
            camera: opts.camera,
            trackId: t.id,
            subjectId: hit.subject,
            templateId: hit.templateId,
            score: hit.score,
            threshold: opts.threshold,
            ptsSec: pts,
            frameIndex,
            frameDecodedAt: decodedAt,
            crop: { width: crop.width, height: crop.height, data: Uint8Array.from(crop.data) },
            shotsFused: fusion === 'mean' ? t.data.shots.length : 1,
          });
          alertList.push({ subjectId: hit.subject, score: Math.round(hit.score * 1000) / 1000, trackId: t.id, videoTimeSec: Math.round(pts * 100) / 100, latencyMs: Math.round(performance.now() - decodedAt) });
        }
      } catch (err) {
        firstError ??= err;
      } finally {
        wipe(face.chip.data);
        wipe(crop.data);
      }
    }));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  let stoppedBy: LiveSummary['stoppedBy'] = 'end';
  try {
    for await (const { frame, faces } of detectFrames(source, engine, { analysedFps: opts.analysedFps, pace: opts.pace, stats: c })) {
      lastPts = frame.ptsSec;
      c.positionSec = frame.ptsSec;
      const { assigned, ended } = tracker.update(frame.ptsSec, faces);
      c.tracks = tracker.started;
      for (const { track, face } of assigned) {
        const fail = gateFailure(face, gate);
        const score = fail ? 0 : shotScore(face);
        if (fail || !wantShot(score, frame.ptsSec, track.data.history, policy)) {
          if (fail) c.facesGatedOut++;
          wipe(face.chip.data);
          continue;
        }
        const h = track.data.history;
        h.embedded++;
        h.bestScore = Math.max(h.bestScore, score);
        h.lastEmbedSec = frame.ptsSec;
        embedAndMatch(track, face, cropForReview(frame.image, face), frame.ptsSec, frame.index, frame.decodedAt);
      }
      wipe(frame.image.data);
      for (const t of ended) void discard(t);
      c.framesDecoded = source.stats.framesDecoded;
      c.sourceFramesDropped = source.stats.framesDropped;
      opts.onProgress?.({ ...c });
      if (firstError) throw firstError;
      if (opts.signal?.aborted) {
        stoppedBy = 'signal';
        break;
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    source.stop();
    await Promise.allSettled([...inFlight]);
    await Promise.all(tracker.flush().map(discard));
  }
  if (firstError) throw firstError;
  if (opts.signal?.aborted) stoppedBy = 'signal';
  const wallSeconds = (performance.now() - t0) / 1000;
  c.framesDecoded = source.stats.framesDecoded;
  c.sourceFramesDropped = source.stats.framesDropped;
  const fps = c.framesDecoded > 1 && lastPts > 0 ? (c.framesDecoded - 1) / lastPts : opts.analysedFps;
  const videoSeconds = c.framesDecoded / fps;
  const lat = alertList.map((a) => a.latencyMs);
  return {
    camera: opts.camera,
    ...c,
    videoSeconds: Math.round(videoSeconds * 100) / 100,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    realtimeFactor: Math.round((videoSeconds / wallSeconds) * 100) / 100,
    analysedFpsAchieved: Math.round((c.framesAnalysed / Math.max(videoSeconds, 1e-9)) * 10) / 10,
    alertLatencyMsP50: quantile(lat, 0.5),
    alertLatencyMsP95: quantile(lat, 0.95),
    alertList,
    reconnects: source.stats.reconnects,
    stoppedBy,
    ...(source.stats.error ? { error: source.stats.error } : {}),
  };
}
