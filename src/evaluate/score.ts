/**
 * 1:N scoring for the evaluation harness: every search against every watchlist entry (dot products of
 * L2-normalised embeddings = cosine similarity), in blocks of four probes so each watchlist row is read once
 * per block. Kept internal to evaluation; the deployment matcher lives elsewhere.
 */

export interface ScoringInput {
  dims: number;
  /** Watchlist embeddings, row-major, entries x dims. */
  watchlist: Float32Array;
  /** Identity index of each watchlist entry. */
  watchlistIdentity: Int32Array;
  /** Probe embeddings, row-major, probes x dims (rows of failed probes are ignored). */
  probes: Float32Array;
  /** Identity index of each probe (-1 or any index absent from the watchlist for a non-mated probe). */
  probeIdentity: Int32Array;
  /** Probes that failed to acquire (no embedding): they get no scores. */
  probeFailed: Uint8Array;
  /** Keep every non-mate comparison score (for FMR / DET). */
  collectImpostor: boolean;
  /** Cohort statistics of every probe and watchlist entry: scores are S-normalised (see cohort.ts). */
  norm?: { probe: CohortStats; entry: CohortStats };
}

export interface ScoringOutput {
  /** Best score against the probe's own identity's entries; -Infinity when none or failed. */
  mateScore: Float64Array;
  /** Best score against every other identity; -Infinity when none or failed. */
  nonMateScore: Float64Array;
  /** Watchlist entry index of that best other identity, -1 when none. */
  nonMateTop: Int32Array;
  /** Watchlist entry index of the rank-1 candidate (any identity), -1 when none. */
  top1: Int32Array;
  top1Score: Float64Array;
  /** All non-mate comparison scores (when collected). */
  impostor: Float32Array;
}

import { snorm, type CohortStats } from './cohort.ts';

const BLOCK = 4;

export function scoreAll(input: ScoringInput): ScoringOutput {
  const { dims: d, watchlist: W, probes: P, norm } = input;
  const n = input.watchlistIdentity.length;
  const m = input.probeIdentity.length;
  if (W.length !== n * d || P.length !== m * d) throw new RangeError('scoreAll: embedding arrays do not match the counts');
  const mateScore = new Float64Array(m).fill(-Infinity);
  const nonMateScore = new Float64Array(m).fill(-Infinity);
  const nonMateTop = new Int32Array(m).fill(-1);
  const top1 = new Int32Array(m).fill(-1);
  const top1Score = new Float64Array(m).fill(-Infinity);
  const live: number[] = [];
  for (let i = 0; i < m; i++) if (!input.probeFailed[i]) live.push(i);
  const impostor = new Float32Array(input.collectImpostor ? live.length * n : 0);
  let imp = 0;
  const rows = new Int32Array(BLOCK);
  const scores = new Float64Array(BLOCK);
  for (let b = 0; b < live.length; b += BLOCK) {
    const k = Math.min(BLOCK, live.length - b);
    for (let r = 0; r < k; r++) rows[r] = live[b + r]!;
    const o0 = rows[0]! * d;
    const o1 = (k > 1 ? rows[1]! : rows[0]!) * d;
    const o2 = (k > 2 ? rows[2]! : rows[0]!) * d;
    const o3 = (k > 3 ? rows[3]! : rows[0]!) * d;
    for (let j = 0; j < n; j++) {
      const w = j * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let x = 0; x < d; x++) {
        const v = W[w + x]!;
        s0 += v * P[o0 + x]!;
        s1 += v * P[o1 + x]!;
        s2 += v * P[o2 + x]!;
        s3 += v * P[o3 + x]!;
      }
      scores[0] = s0;
      scores[1] = s1;
      scores[2] = s2;
      scores[3] = s3;
      const wid = input.watchlistIdentity[j]!;
      for (let r = 0; r < k; r++) {
        const p = rows[r]!;
        const s = norm ? snorm(scores[r]!, norm.probe.mu[p]!, norm.probe.sigma[p]!, norm.entry.mu[j]!, norm.entry.sigma[j]!) : scores[r]!;
        if (s > top1Score[p]!) {
          top1Score[p] = s;
          top1[p] = j;
        }
        if (wid === input.probeIdentity[p]) {
          if (s > mateScore[p]!) mateScore[p] = s;
        } else {
          if (s > nonMateScore[p]!) {
            nonMateScore[p] = s;
            nonMateTop[p] = j;
          }
          if (input.collectImpostor) impostor[imp++] = s;
        }
      }
    }
  }
  return { mateScore, nonMateScore, nonMateTop, top1, top1Score, impostor: impostor.subarray(0, imp) };
}
