/**
 * Stage 4, select: gate each detected face on quality and keep only the best shots of a track for
 * embedding (embedding is the expensive step, and a blurred profile adds nothing but false matches).
 */
import { resizeRgb } from '../engine/imgproc.ts';
import type { Face, RgbImage } from '../engine/port.ts';
import { qualityFailure, qualityScore, type QualityGate } from '../engine/quality.ts';

export type { QualityGate };

export const DEFAULT_GATE: QualityGate = { minInterEyePx: 20, maxAbsYawDeg: 45, maxAbsPitchDeg: 40, minSharpness: 10 };

export interface ShotPolicy {
  /** Most shots embedded per track. */
  maxShots: number;
  /** After the first shot, embed another only if it is this much better, or this long after the last. */
  minImprovement: number;
  minIntervalSec: number;
}

export const DEFAULT_SHOTS: ShotPolicy = { maxShots: 5, minImprovement: 1.1, minIntervalSec: 0.5 };

/** Why a face fails the gate, or null when it passes. */
export function gateFailure(face: Face, gate: QualityGate): string | null {
  return qualityFailure(face.quality, gate);
}

/** A 0..1 score ranking shots of one track: size, frontality, sharpness, detector confidence. */
export function shotScore(face: Face): number {
  return qualityScore(face.quality, face.score);
}

export interface ShotHistory {
  embedded: number;
  bestScore: number;
  lastEmbedSec: number;
}

/** Whether this shot should be embedded, given what the track already has. */
export function wantShot(score: number, tSec: number, h: ShotHistory, policy: ShotPolicy): boolean {
  if (h.embedded === 0) return true;
  if (h.embedded >= policy.maxShots) return false;
  return score >= h.bestScore * policy.minImprovement || tSec - h.lastEmbedSec >= policy.minIntervalSec;
}

/** The region shown to the operator for an alert: the face box enlarged 1.6x, at most `maxSide` px. */
export function cropForReview(frame: RgbImage, face: Face, maxSide = 256): RgbImage {
  const { x, y, width, height } = face.box;
  const side = Math.max(width, height) * 1.6;
  const x0 = Math.max(0, Math.floor(x + width / 2 - side / 2));
  const y0 = Math.max(0, Math.floor(y + height / 2 - side / 2));
  const x1 = Math.min(frame.width, Math.ceil(x + width / 2 + side / 2));
  const y1 = Math.min(frame.height, Math.ceil(y + height / 2 + side / 2));
  const w = Math.max(1, x1 - x0);
  const h = Math.max(1, y1 - y0);
  const crop = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) crop.set(frame.data.subarray(((y0 + r) * frame.width + x0) * 3, ((y0 + r) * frame.width + x0 + w) * 3), r * w * 3);
  const img = { width: w, height: h, data: crop };
  if (Math.max(w, h) <= maxSide) return img;
  const s = maxSide / Math.max(w, h);
  const out = resizeRgb(img, Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s)));
  crop.fill(0);
  return out;
}
