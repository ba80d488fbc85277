/**
 * Accuracy metrics of the evaluation harness (ISO/IEC 19795-1 and NIST FRTE 1:N definitions). Pure: no I/O.
 *
 * Conventions, used everywhere here and stated in the report:
 * - Scores are similarities: higher = more alike. A comparison "matches" at threshold t when score >= t
 *   (a score exactly at the threshold is a match).
 * - A failure to acquire (no usable face in the probe) is kept: its scores are -Infinity, so a mated search
 *   that failed to acquire is a miss at every threshold and a non-mated one never raises an alarm.
 * - Open-set identification, per search: the true subject is "at rank 1" when its best score is strictly greater
 *   than the best score of every other watchlist subject (a tie for first place is a miss: an operator would be
 *   shown two people).
 */

/** One search against the watchlist, reduced to what the metrics need. */
export interface SearchOutcome {
  /** The searcher is on the watchlist (a mated search). */
  readonly mated: boolean;
  /** No usable face in the probe image: counted, never dropped. */
  readonly fta: boolean;
  /** Best score against the searcher's own watchlist entries; -Infinity when none (non-mated, FTA, or not enrolled). */
  readonly mateScore: number;
  /** Best score against every other watchlist subject; -Infinity when none or FTA. */
  readonly nonMateScore: number;
}

/** Smallest float64 strictly greater than x (x finite). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

/** Number of values >= t in an ascending-sorted array. */
export function countAtOrAbove(sortedAsc: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = sortedAsc.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedAsc[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return sortedAsc.length - lo;
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** The smallest number of trials that can show a rate as low as `target` (rule of three: 0 events in n trials bound the rate below ~3/n at 95%). */
export function minTrialsFor(target: number): number {
  return Math.ceil(3 / target);
}

// ---------------------------------------------------------------------------------------------------------------
// Open-set identification

export interface IdentificationPoint {
  threshold: number;
  matedSearches: number;
  nonMatedSearches: number;
  /** Mated searches with the true subject at rank 1 and score >= threshold. */
  hits: number;
  /** Non-mated searches with any candidate >= threshold. */
  falseAlarms: number;
  tpir: number | null;
  fnir: number | null;
  fpir: number | null;
}

/** Searches prepared for fast evaluation at any threshold. */
export interface IdentificationSet {
  readonly matedSearches: number;
  readonly nonMatedSearches: number;
  readonly ftaMated: number;
  readonly ftaNonMated: number;
  /** Scores of the mated searches whose true subject is at rank 1, ascending. */
  readonly hitScores: Float64Array;
  /** Best candidate score of each non-mated search (FTA excluded: they never alarm), ascending. */
  readonly alarmScores: Float64Array;
}

export function prepareIdentification(searches: readonly SearchOutcome[]): IdentificationSet {
  const hits: number[] = [];
  const alarms: number[] = [];
  let mated = 0;
  let nonMated = 0;
  let ftaMated = 0;
  let ftaNonMated = 0;
  for (const s of searches) {
    if (s.mated) {
      mated++;
      if (s.fta) ftaMated++;
      else if (s.mateScore > s.nonMateScore && s.mateScore > -Infinity) hits.push(s.mateScore);
    } else {
      nonMated++;
      if (s.fta) ftaNonMated++;
      else if (s.nonMateScore > -Infinity) alarms.push(s.nonMateScore);
    }
  }
  return { matedSearches: mated, nonMatedSearches: nonMated, ftaMated, ftaNonMated, hitScores: sortedCopy(hits), alarmScores: sortedCopy(alarms) };
}

export function identificationAt(set: IdentificationSet, threshold: number): IdentificationPoint {
  const hits = countAtOrAbove(set.hitScores, threshold);
  const falseAlarms = countAtOrAbove(set.alarmScores, threshold);
  const tpir = set.matedSearches > 0 ? hits / set.matedSearches : null;
  return {
    threshold,
    matedSearches: set.matedSearches,
    nonMatedSearches: set.nonMatedSearches,
    hits,
    falseAlarms,
    tpir,
    fnir: tpir === null ? null : 1 - tpir,
    fpir: set.nonMatedSearches > 0 ? falseAlarms / set.nonMatedSearches : null,
  };
}

/** The lowest threshold at which at most `allowed` of the ascending `scores` are >= it. */
export function lowestThresholdAllowing(scoresAsc: ArrayLike<number>, allowed: number): number {
  const n = scoresAsc.length;
  if (allowed >= n) return -Infinity;
  // the (allowed+1)-th highest score must fall below the threshold
  return nextUp(scoresAsc[n - 1 - allowed]!);
}

export interface OperatingPoint extends IdentificationPoint {
  /** The FPIR the point is fixed by. */
  targetFpir: number;
  /** True when there are enough non-mated searches to show an FPIR as low as the target (n >= 3 / target). */
  supported: boolean;
  /** Non-mated searches needed to support the target. */
  requiredNonMated: number;
  note: string | null;
}

/**
 * The operating point fixed by FPIR: the lowest threshold whose measured FPIR is at most `targetFpir`
 * (at most floor(target * n) false alarms among n non-mated searches), with TPIR there.
 */
export function operatingPointByFpir(set: IdentificationSet, targetFpir: number): OperatingPoint {
  const n = set.nonMatedSearches;
  const required = minTrialsFor(targetFpir);
  const allowed = Math.floor(targetFpir * n + 1e-9);
  const threshold = n === 0 ? Infinity : lowestThresholdAllowing(set.alarmScores, allowed);
  // without non-mated searches there is no operating point: no threshold, no TPIR
  const point = n === 0 ? { ...identificationAt(set, threshold), tpir: null, fnir: null } : identificationAt(set, threshold);
  const supported = n >= required;
  let note: string | null = null;
  if (n === 0) note = 'no non-mated searches: FPIR cannot be measured';
  else if (!supported)
    note = `only ${n} non-mated searches: at least ${required} are needed to show an FPIR as low as ${targetFpir.toPrecision(3)} (rule of three); this threshold lets ${allowed} of the ${n} alarm, which is not evidence of the target rate`;
  return { ...point, targetFpir, supported, requiredNonMated: required, note };
}

/** FPIR as "1 in X people passing" (null when no false alarm was seen). */
export function oneIn(rate: number | null): number | null {
  if (rate === null || rate <= 0) return null;
  return 1 / rate;
}

/**
 * FPIR scaling to a different watchlist size. A non-mated search against N independent entries raises no
 * alarm with probability (1 - p)^N, where p is the per-comparison false match rate at that threshold. So
 * p = 1 - (1 - FPIR_N)^(1/N) and FPIR_N' = 1 - (1 - p)^N'. Independence is an assumption (some people look
 * like many others), which is why the report also gives FPIR from the measured per-comparison FMR.
 */
export function perComparisonRateFromFpir(fpir: number, watchlistSize: number): number {
  if (watchlistSize <= 0) throw new RangeError('watchlist size must be positive');
  return -Math.expm1(Math.log1p(-fpir) / watchlistSize);
}

export function fpirForWatchlistSize(perComparisonRate: number, watchlistSize: number): number {
  return -Math.expm1(watchlistSize * Math.log1p(-perComparisonRate));
}

export function scaleFpir(fpir: number, fromSize: number, toSize: number): number {
  return fpirForWatchlistSize(perComparisonRateFromFpir(fpir, fromSize), toSize);
}

// ---------------------------------------------------------------------------------------------------------------
// Verification (1:1)

export interface VerificationSet {
  /** Genuine (same person) scores, ascending; -Infinity for a comparison whose probe failed to acquire. */
  readonly genuine: Float64Array;
  /** Impostor (different people) scores, ascending. */
  readonly impostor: Float32Array | Float64Array;
}

/** Sorts in place (the impostor array can be large: it is not copied). */
export function prepareVerification(genuine: ArrayLike<number>, impostor: Float32Array | Float64Array): VerificationSet {
  return { genuine: sortedCopy(genuine), impostor: impostor.sort() };
}

export interface VerificationPoint {
  threshold: number;
  fmr: number | null;
  fnmr: number | null;
}

export function verificationAt(set: VerificationSet, threshold: number): VerificationPoint {
  const ng = set.genuine.length;
  const ni = set.impostor.length;
  return {
    threshold,
    fmr: ni > 0 ? countAtOrAbove(set.impostor, threshold) / ni : null,
    fnmr: ng > 0 ? 1 - countAtOrAbove(set.genuine, threshold) / ng : null,
  };
}

export interface TarPoint extends VerificationPoint {
  targetFmr: number;
  tar: number | null;
  supported: boolean;
}

/** True accept rate at the lowest threshold whose FMR is at most `targetFmr`. */
export function tarAtFmr(set: VerificationSet, targetFmr: number): TarPoint {
  const ni = set.impostor.length;
  const threshold = ni === 0 ? Infinity : lowestThresholdAllowing(set.impostor, Math.floor(targetFmr * ni + 1e-9));
  const p = verificationAt(set, threshold);
  return { ...p, targetFmr, tar: p.fnmr === null ? null : 1 - p.fnmr, supported: ni >= minTrialsFor(targetFmr) };
}

/**
 * DET curve points: FMR from 1/n_impostor up to 1 on a log scale (`perDecade` points per decade), each at
 * the lowest threshold reaching that FMR, with FNMR there.
 */
export function detCurve(set: VerificationSet, perDecade = 10): VerificationPoint[] {
  const ni = set.impostor.length;
  if (ni === 0 || set.genuine.length === 0) return [];
  const out: VerificationPoint[] = [];
  const minLog = Math.log10(1 / ni);
  let lastThreshold = NaN;
  for (let e = 0; e >= minLog - 1e-9; e -= 1 / perDecade) {
    const allowed = Math.floor(Math.pow(10, e) * ni + 1e-9);
    const t = lowestThresholdAllowing(set.impostor, allowed);
    if (t === lastThreshold) continue;
    lastThreshold = t;
    out.push(verificationAt(set, t));
  }
  return out.reverse();
}

// ---------------------------------------------------------------------------------------------------------------
// LFW-protocol pairs accuracy

export interface ScoredPair {
  same: boolean;
  /** -Infinity when either image failed to acquire (the pair is then judged "different"). */
  score: number;
}

export interface PairsAccuracy {
  accuracy: number;
  std: number;
  folds: { threshold: number; accuracy: number; n: number }[];
  pairs: number;
  samePairs: number;
  differentPairs: number;
}

/**
 * Threshold maximising accuracy on `pairs` (decision "same" iff score >= t). Candidates are the midpoints
 * between consecutive distinct scores (the upper score where the lower is -Infinity), plus one below all
 * and one above all; on ties the lowest candidate wins.
 */
export function bestThreshold(pairs: readonly ScoredPair[]): number {
  const sorted = [...pairs].sort((a, b) => a.score - b.score);
  if (sorted.length === 0) return 0;
  // candidate below everything: every pair judged "same"
  let correct = sorted.filter((p) => p.same).length;
  let best = correct;
  let bestT = sorted[0]!.score;
  for (let i = 0; i < sorted.length; i++) {
    correct += sorted[i]!.same ? -1 : 1; // pair i now falls below the threshold
    const next = sorted[i + 1];
    if (next && next.score === sorted[i]!.score) continue;
    const lower = sorted[i]!.score;
    const t = next ? (lower === -Infinity ? next.score : (lower + next.score) / 2) : lower === -Infinity ? Infinity : nextUp(lower);
    if (correct > best) {
      best = correct;
      bestT = t;
    }
  }
  return bestT;
}

/**
 * LFW protocol accuracy by k-fold cross-validation: the pairs are dealt into `folds` folds in file order
 * (same pairs and different pairs separately, pair i to fold i mod k, so each fold is balanced); for each fold
 * the threshold that maximises accuracy on the other folds is applied to it; the result is the mean (and
 * standard deviation) of the fold accuracies.
 */
export function pairsAccuracy(pairs: readonly ScoredPair[], folds = 10): PairsAccuracy | null {
  if (pairs.length < folds) return null;
  const foldOf: number[] = [];
  let si = 0;
  let di = 0;
  for (const p of pairs) foldOf.push(p.same ? si++ % folds : di++ % folds);
  const results: PairsAccuracy['folds'] = [];
  for (let f = 0; f < folds; f++) {
    const train = pairs.filter((_, i) => foldOf[i] !== f);
    const test = pairs.filter((_, i) => foldOf[i] === f);
    const t = bestThreshold(train);
    const ok = test.filter((p) => (p.score >= t) === p.same).length;
    results.push({ threshold: t, accuracy: test.length > 0 ? ok / test.length : 0, n: test.length });
  }
  const mean = results.reduce((s, r) => s + r.accuracy, 0) / folds;
  const std = Math.sqrt(results.reduce((s, r) => s + (r.accuracy - mean) ** 2, 0) / folds);
  return { accuracy: mean, std, folds: results, pairs: pairs.length, samePairs: si, differentPairs: di };
}
