/**
 * The reference check at enrolment: a new watchlist photo is compared with the photos already on the
 * deployment's watchlist (in memory, from an audited read; nothing new is stored but two scores).
 *
 *  - Same subject: a further photo of a subject already on the watchlist must match one of that subject's
 *    photos at the reference bar (the engine's pair threshold at FMR 1e-3). Below it the photo is most
 *    likely of someone else, filed under the subject's record; enrolling it would make the system look
 *    for an innocent person under a wanted person's name. The enrolment is refused (REFERENCE_MISMATCH)
 *    unless the enrolling officer records why it stands (`checkOverride`), for the reviewer and the audit.
 *    On lfw-devtrain (test part) the bar refuses 1.1% of genuine second photos and lets 0.12% of
 *    strangers' photos through; the one mis-filed photograph in the dataset that has a reference to be
 *    compared with (Michael_Schumacher_0008, which shows Rubens Barrichello) scores 0.11 and is refused.
 *  - Strength: where the photo's template strength (the embedder's output length) falls among the reference
 *    photos of the engine's latest calibration, with the share of searches found for that fifth and for
 *    the strongest fifth at the floor threshold. On lfw-devtrain's test part (labels as published), references in
 *    the weakest fifth were found 57% of the time at the floor against 95% for the strongest fifth.
 *  - Other subjects: the photo's best score against every other subject, and whether it reaches the
 *    deployment's alert threshold. That is not refused (two records of one person, or look-alikes, are
 *    for people to sort out) but recorded on the entry, so the reviewer sees that this face would raise
 *    alerts for someone else on the list too.
 */
import { similarity } from '../engine/port.ts';

export interface ReferenceCheck {
  sameSubject: {
    /** Photos of this subject already on the watchlist (made by the same engine). */
    references: number;
    /** The new photo's best score against them; null for a first photo. */
    bestScore: number | null;
    bar: number;
    barSource: string;
    passed: boolean;
  };
  otherSubjects: {
    /** Other subjects compared. */
    compared: number;
    /** The most similar other subject, when any was compared. */
    best: { subjectRef: string; score: number } | null;
    /** The deployment's alert threshold at the time of enrolment. */
    alertThreshold: number;
    /** True when the best other subject scores at or above the alert threshold. */
    resemblesAnother: boolean;
  };
  /** Why the enrolment stands although the same-subject check failed; null when it passed. */
  override: string | null;
  /**
   * How strong the photo's template is, against the latest calibration of the engine: searches against the
   * weakest fifth of references are found far less often. Advice to the watchlist manager, never a refusal
   * (the only photo of a missing child may be weak). Null without a calibration giving it, or an engine
   * without the measure.
   */
  strength?: ReferenceStrengthVerdict | null;
}

export interface OnWatchlist {
  subjectRef: string;
  vectors: readonly Float32Array[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Compare a new template with the watchlist; pure (the caller reads and wipes the templates). */
export function checkReference(
  template: Float32Array,
  subjectRef: string,
  watchlist: readonly OnWatchlist[],
  o: { bar: number; barSource: string; alertThreshold: number },
): Omit<ReferenceCheck, 'override'> {
  let own = 0;
  let ownBest = -Infinity;
  let other: { subjectRef: string; score: number } | null = null;
  let compared = 0;
  for (const s of watchlist) {
    if (s.vectors.length === 0) continue;
    const best = Math.max(...s.vectors.map((v) => similarity(template, v)));
    if (s.subjectRef === subjectRef) {
      own += s.vectors.length;
      ownBest = Math.max(ownBest, best);
    } else {
      compared++;
      if (!other || best > other.score) other = { subjectRef: s.subjectRef, score: best };
    }
  }
  return {
    sameSubject: { references: own, bestScore: own ? round3(ownBest) : null, bar: o.bar, barSource: o.barSource, passed: own === 0 || ownBest >= o.bar },
    otherSubjects: {
      compared,
      best: other && { subjectRef: other.subjectRef, score: round3(other.score) },
      alertThreshold: o.alertThreshold,
      resemblesAnother: other !== null && other.score >= o.alertThreshold,
    },
  };
}

/** Reference strength of a new photo, placed among a calibration's bins (src/evaluate/reference-strength.ts). */
export interface ReferenceStrengthVerdict {
  /** The embedder's raw output length for the photo (the engine's own scale). */
  norm: number;
  /** 1 = the weakest fifth of the calibration's reference photos ... bins = the strongest. */
  bin: number;
  bins: number;
  /** In the calibration's weakest bin. */
  weak: boolean;
  /** Share of searches found at the floor threshold for references in this bin, and in the strongest bin. */
  foundInBin: number | null;
  foundStrongest: number | null;
  threshold: number;
  calibrationId: string;
}

export interface CalibratedStrength {
  calibrationId: string;
  threshold: number;
  cuts: readonly number[];
  bins: readonly { tpir: number | null }[];
}

export function assessStrength(norm: number, c: CalibratedStrength): ReferenceStrengthVerdict {
  const bin = c.cuts.filter((cut) => norm >= cut).length; // 0-based
  const r = (x: number | null | undefined) => (typeof x === 'number' ? Math.round(x * 1000) / 1000 : null);
  return {
    norm: Math.round(norm * 1000) / 1000,
    bin: bin + 1,
    bins: c.bins.length,
    weak: bin === 0 && c.bins.length > 1,
    foundInBin: r(c.bins[bin]?.tpir),
    foundStrongest: r(c.bins[c.bins.length - 1]?.tpir),
    threshold: c.threshold,
    calibrationId: c.calibrationId,
  };
}
