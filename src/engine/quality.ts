/**
 * Face quality measures shared by every engine, computed from the five landmarks and the aligned chip.
 * Pose angles are geometric estimates from 2-D landmarks (good to roughly +-10 degrees near frontal),
 * enough for a quality gate ("near-frontal") but not a head-pose model.
 */
import { greyStats } from './imgproc.ts';
import type { FaceQuality, Point, RgbImage } from './port.ts';

const DEG = 180 / Math.PI;

export function faceQuality(l5: readonly [Point, Point, Point, Point, Point], chip: RgbImage): FaceQuality {
  const [le, re, nose, lm, rm] = l5;
  const ex = re[0] - le[0];
  const ey = re[1] - le[1];
  const interEyePx = Math.hypot(ex, ey);
  const rollDeg = Math.atan2(ey, ex) * DEG;
  // Express nose and mouth in a frame aligned with the eye line, in units of inter-eye distance.
  const cos = ex / (interEyePx || 1);
  const sin = ey / (interEyePx || 1);
  const midX = (le[0] + re[0]) / 2;
  const midY = (le[1] + re[1]) / 2;
  const toLocal = (p: Point): Point => {
    const dx = p[0] - midX;
    const dy = p[1] - midY;
    return [(dx * cos + dy * sin) / (interEyePx || 1), (-dx * sin + dy * cos) / (interEyePx || 1)];
  };
  const n = toLocal(nose);
  const m = toLocal([(lm[0] + rm[0]) / 2, (lm[1] + rm[1]) / 2]);
  // Yaw: on a frontal face the nose tip sits on the eye midline; a turn of theta shifts it by about
  // r*sin(theta), with r ~ 0.6 inter-eye distances for the nose-tip depth in front of the eye plane.
  const yawDeg = Math.asin(Math.max(-1, Math.min(1, n[0] / 0.6))) * DEG;
  // Pitch: the nose tip sits ~53% of the way from the eye line to the mouth line on a level face
  // (the median over 400 LFW faces, which are mostly level).
  const ratio = m[1] > 1e-6 ? n[1] / m[1] : 0.53;
  const pitchDeg = Math.max(-90, Math.min(90, (ratio - 0.53) * 150));
  const { brightness, sharpness } = greyStats(chip);
  return { interEyePx, yawDeg, pitchDeg, rollDeg, sharpness, brightness };
}

/** The quality measures a gate and a shot ranking look at. */
export type GateQuality = Pick<FaceQuality, 'interEyePx' | 'yawDeg' | 'pitchDeg' | 'sharpness'>;

/** Limits a face must meet to be embedded (the live pipeline's gate; also measured by `openlfr evaluate`). */
export interface QualityGate {
  /** Faces with fewer pixels between the eyes are counted but never embedded. */
  minInterEyePx: number;
  maxAbsYawDeg: number;
  maxAbsPitchDeg: number;
  minSharpness: number;
}

/** Why a face's quality fails the gate, or null when it passes. */
export function qualityFailure(q: GateQuality, gate: QualityGate): string | null {
  if (q.interEyePx < gate.minInterEyePx) return 'too small';
  if (Math.abs(q.yawDeg) > gate.maxAbsYawDeg) return 'turned away';
  if (Math.abs(q.pitchDeg) > gate.maxAbsPitchDeg) return 'looking up or down';
  if (q.sharpness < gate.minSharpness) return 'blurred';
  return null;
}

/** A 0..1 quality score ranking shots: size, frontality, sharpness, detector confidence. */
export function qualityScore(q: GateQuality, detectorScore: number): number {
  const size = Math.min(1, q.interEyePx / 60);
  const pose = Math.cos((q.yawDeg * Math.PI) / 180) * Math.cos((q.pitchDeg * Math.PI) / 180);
  const sharp = Math.min(1, q.sharpness / 100);
  return size * Math.max(0, pose) * (0.5 + 0.5 * sharp) * detectorScore;
}
