/**
 * Cohort score normalisation (adaptive S-norm): each template is compared with a cohort of faces of people who
 * are on no watchlist; the mean and standard deviation of its k highest cohort scores describe how "close to
 * everyone" that face is. A comparison score s between a probe p and a watchlist entry e becomes
 *
 *   s' = ((s - mu_p) / sigma_p + (s - mu_e) / sigma_e) / 2
 *
 * so a probe that resembles many people (a "lamb") or an entry that resembles many probes (a "wolf") needs a
 * higher raw score to alarm. Thresholds are then in cohort standard deviations, not cosine similarity.
 */
import { OpenLfrError } from '../errors.ts';

export interface CohortStats {
  mu: Float64Array;
  sigma: Float64Array;
}

/** Top-k cohort statistics of each row of `rows` (row-major, n x dims) against `cohort` (m x dims). */
export function cohortStats(rows: Float32Array, cohort: Float32Array, dims: number, topK: number): CohortStats {
  const n = rows.length / dims;
  const m = cohort.length / dims;
  if (!Number.isInteger(n) || !Number.isInteger(m)) throw new RangeError('cohortStats: arrays do not match the dimension');
  if (!(Number.isInteger(topK) && topK >= 2 && topK <= m)) throw new OpenLfrError('BAD_REQUEST', `the cohort top-k must be 2..${m} (the cohort size); got ${topK}`);
  const mu = new Float64Array(n);
  const sigma = new Float64Array(n);
  const scores = new Float32Array(m);
  for (let r = 0; r < n; r++) {
    const o = r * dims;
    for (let j = 0; j < m; j++) {
      const c = j * dims;
      let s = 0;
      for (let x = 0; x < dims; x++) s += rows[o + x]! * cohort[c + x]!;
      scores[j] = s;
    }
    scores.sort();
    let sum = 0;
    let sq = 0;
    for (let j = m - topK; j < m; j++) {
      sum += scores[j]!;
      sq += scores[j]! * scores[j]!;
    }
    mu[r] = sum / topK;
    sigma[r] = Math.max(1e-6, Math.sqrt(Math.max(0, sq / topK - mu[r]! * mu[r]!)));
  }
  return { mu, sigma };
}

/** The S-norm of one raw score. */
export function snorm(s: number, muP: number, sigmaP: number, muE: number, sigmaE: number): number {
  return ((s - muP) / sigmaP + (s - muE) / sigmaE) / 2;
}
