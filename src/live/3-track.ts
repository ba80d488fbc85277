/**
 * Stage 3, track: link detections across frames so each person passing is one track and decisions
 * are made per track, not per frame. Greedy association by box overlap, falling back to centre
 * distance (at 10 analysed fps a walking face can move more than its own width between frames).
 */
import type { Box, Face } from '../engine/port.ts';

export interface TrackState<S> {
  id: number;
  firstSeenSec: number;
  lastSeenSec: number;
  box: Box;
  detections: number;
  /** Stage-specific state (shots, embeddings, alerts) owned by the caller. */
  data: S;
}

export interface TrackerOptions {
  /** A track not seen for this long is ended. */
  maxGapSec: number;
  /** Minimum IoU for an overlap match. */
  minIou: number;
  /** Maximum centre distance, in box widths, for a distance match. */
  maxCentreDist: number;
}

export const DEFAULT_TRACKER: TrackerOptions = { maxGapSec: 1.0, minIou: 0.2, maxCentreDist: 1.0 };

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

function centreDist(a: Box, b: Box): number {
  const dx = a.x + a.width / 2 - (b.x + b.width / 2);
  const dy = a.y + a.height / 2 - (b.y + b.height / 2);
  return Math.hypot(dx, dy) / Math.max(a.width, b.width);
}

export class Tracker<S> {
  private tracks: TrackState<S>[] = [];
  private nextId = 1;
  started = 0;

  constructor(
    private readonly init: () => S,
    private readonly opts: TrackerOptions = DEFAULT_TRACKER,
  ) {}

  get active(): readonly TrackState<S>[] {
    return this.tracks;
  }

  /** Associate this frame's faces with tracks. Returns each face's track and the tracks that ended. */
  update(tSec: number, faces: Face[]): { assigned: Array<{ track: TrackState<S>; face: Face }>; ended: TrackState<S>[] } {
    const pairs: Array<{ t: number; f: number; score: number }> = [];
    this.tracks.forEach((track, t) =>
      faces.forEach((face, f) => {
        const o = iou(track.box, face.box);
        if (o >= this.opts.minIou) pairs.push({ t, f, score: 1 + o });
        else {
          const d = centreDist(track.box, face.box);
          if (d <= this.opts.maxCentreDist) pairs.push({ t, f, score: 1 - d });
        }
      }),
    );
    pairs.sort((a, b) => b.score - a.score);
    const usedT = new Set<number>();
    const usedF = new Set<number>();
    const assigned: Array<{ track: TrackState<S>; face: Face }> = [];
    for (const p of pairs) {
      if (usedT.has(p.t) || usedF.has(p.f)) continue;
      usedT.add(p.t);
      usedF.add(p.f);
      const track = this.tracks[p.t]!;
      track.box = faces[p.f]!.box;
      track.lastSeenSec = tSec;
      track.detections++;
      assigned.push({ track, face: faces[p.f]! });
    }
    faces.forEach((face, f) => {
      if (usedF.has(f)) return;
      const track: TrackState<S> = { id: this.nextId++, firstSeenSec: tSec, lastSeenSec: tSec, box: face.box, detections: 1, data: this.init() };
      this.started++;
      this.tracks.push(track);
      assigned.push({ track, face });
    });
    const ended = this.tracks.filter((t) => tSec - t.lastSeenSec > this.opts.maxGapSec);
    if (ended.length) this.tracks = this.tracks.filter((t) => !ended.includes(t));
    return { assigned, ended };
  }

  /** End every remaining track (end of stream). */
  flush(): TrackState<S>[] {
    const all = this.tracks;
    this.tracks = [];
    return all;
  }
}
