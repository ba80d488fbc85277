/**
 * Stage 7, alert: a possible match, handed to whatever stores it for a person's decision. The sink
 * is the only way biometric data leaves the live pipeline, and only for a match at or above the
 * deployment's threshold. Nothing in the system acts on an alert: it waits for an operator.
 */
import type { RgbImage } from '../engine/port.ts';

export interface AlertCandidate {
  camera: string;
  trackId: number;
  subjectId: string;
  /** The watchlist template that gave the best score (a subject may have several reference photos). */
  templateId: string;
  /** Fused similarity score of the track against the subject. */
  score: number;
  threshold: number;
  /** Media time and frame of the shot that crossed the threshold. */
  ptsSec: number;
  frameIndex: number;
  /** performance.now() when that frame was decoded. */
  frameDecodedAt: number;
  /** The probe crop for the operator's side-by-side view (biometric: the sink encrypts it). */
  crop: RgbImage;
  shotsFused: number;
}

export interface AlertSink {
  /** Store the alert; resolves when it is durably stored. */
  raise(alert: AlertCandidate): Promise<void>;
}

/** Keeps alerts in memory (tests and the `--json` benchmark mode when no store is wanted). */
export class MemoryAlertSink implements AlertSink {
  readonly alerts: Array<Omit<AlertCandidate, 'crop'> & { storedAt: number; cropBytes: number }> = [];
  async raise(a: AlertCandidate): Promise<void> {
    const { crop, ...rest } = a;
    this.alerts.push({ ...rest, storedAt: performance.now(), cropBytes: crop.data.length });
    crop.data.fill(0);
  }
}
