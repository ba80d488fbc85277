/**
 * The enrolment quality gate: a watchlist image must show exactly one face, large enough, near-frontal
 * and sharp. Every rejection carries a reason the person enrolling can act on.
 */
import type { Face } from '../engine/port.ts';
import type { GovernanceConfig } from '../config.ts';
import type { EnrolmentQuality } from './model.ts';

export interface GateFailure {
  check: 'ONE_FACE' | 'FACE_SIZE' | 'FRONTAL' | 'SHARPNESS';
  message: string;
}

export interface GateVerdict {
  ok: boolean;
  failures: GateFailure[];
  quality: EnrolmentQuality | null;
  /** The face that passed (only when ok). */
  face?: Face;
}

type Limits = Pick<GovernanceConfig, 'minInterEyePx' | 'maxYawDeg' | 'maxPitchDeg' | 'minSharpness'>;

const r1 = (n: number): number => Math.round(n * 10) / 10;

export function assessEnrolment(faces: readonly Face[], limits: Limits): GateVerdict {
  if (faces.length === 0) {
    return { ok: false, quality: null, failures: [{ check: 'ONE_FACE', message: 'No face was found. Use a photo in which the subject’s face is clearly visible and unobstructed.' }] };
  }
  if (faces.length > 1) {
    return {
      ok: false,
      quality: null,
      failures: [{ check: 'ONE_FACE', message: `${faces.length} faces were found. Crop the image so that it shows the subject alone.` }],
    };
  }
  const face = faces[0]!;
  const q = face.quality;
  const quality: EnrolmentQuality = {
    faces: 1,
    interEyePx: r1(q.interEyePx),
    yawDeg: r1(q.yawDeg),
    pitchDeg: r1(q.pitchDeg),
    sharpness: r1(q.sharpness),
    detectorScore: Math.round(face.score * 1000) / 1000,
  };
  const failures: GateFailure[] = [];
  if (q.interEyePx < limits.minInterEyePx) {
    failures.push({
      check: 'FACE_SIZE',
      message: `The face is too small: ${quality.interEyePx} px between the eyes, at least ${limits.minInterEyePx} px needed. Use a higher-resolution image or one taken closer.`,
    });
  }
  if (Math.abs(q.yawDeg) > limits.maxYawDeg || Math.abs(q.pitchDeg) > limits.maxPitchDeg) {
    failures.push({
      check: 'FRONTAL',
      message: `The head is turned (yaw ${quality.yawDeg}°, pitch ${quality.pitchDeg}°; limits ±${limits.maxYawDeg}° and ±${limits.maxPitchDeg}°). Use a photo looking at the camera.`,
    });
  }
  if (q.sharpness < limits.minSharpness) {
    failures.push({
      check: 'SHARPNESS',
      message: `The face is blurred (sharpness ${quality.sharpness}, at least ${limits.minSharpness} needed). Use a sharper image, not an enlarged or motion-blurred one.`,
    });
  }
  return failures.length ? { ok: false, failures, quality } : { ok: true, failures, quality, face };
}
