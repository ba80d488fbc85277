/**
 * Verification metrics on scored pairs (pure functions, no I/O), used by bench/pairs.ts.
 *
 * - `bestThreshold`: the threshold maximising accuracy on a set of pairs (a pair is accepted when
 *   its score is >= the threshold).
 * - `tenFoldAccuracy`: the LFW protocol's way of choosing the threshold: the pairs are split into
 *   10 folds (each with the same share of mated and non-mated pairs); for each fold the threshold
 *   is chosen on the other nine and the accuracy measured on the held-out fold; the mean is reported.
 * - `tarAtFar`: true accept rate at the strictest threshold that lets through at most
 *   floor(far x non-mated pairs) non-mated pairs (with 1,100 non-mated pairs and FAR 1e-3, at most 1).
 */
export interface ScoredPair {
  /** Same person? */
  mated: boolean;
  /** Similarity; -Infinity when a face was not found (the pair can then only be rejected). */
  score: number;
}

export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  let right = 0;
  for (const p of pairs) if (p.score >= threshold === p.mated) right++;
  return pairs.length ? right / pairs.length : 0;
}

export function bestThreshold(pairs: readonly ScoredPair[]): { threshold: number; accuracy: number } {
  const finite = [...new Set(pairs.map((p) => p.score).filter(Number.isFinite))].sort((a, b) => a - b);
  // Candidates: accept everything, every midpoint between consecutive distinct scores, reject everything.
  const candidates = [-Infinity, ...finite.slice(1).map((s, i) => (finite[i]! + s) / 2), Infinity];
  if (finite.length > 0) candidates.push(finite[0]!);
  let best = { threshold: 0, accuracy: -1 };
  for (const t of candidates) {
    const a = accuracyAt(pairs, t);
    if (a > best.accuracy) best = { threshold: t, accuracy: a };
  }
  return best;
}

/** Splits mated and non-mated pairs each into `folds` contiguous chunks and pairs the chunks up. */
export function foldsOf<T extends ScoredPair>(pairs: readonly T[], folds = 10): T[][] {
  const out: T[][] = Array.from({ length: folds }, () => []);
  for (const group of [pairs.filter((p) => p.mated), pairs.filter((p) => !p.mated)]) {
    group.forEach((p, i) => out[Math.floor((i * folds) / group.length)]!.push(p));
  }
  return out;
}

export function tenFoldAccuracy(pairs: readonly ScoredPair[], folds = 10): { accuracy: number; std: number; thresholds: number[] } {
  const parts = foldsOf(pairs, folds);
  const accs: number[] = [];
  const thresholds: number[] = [];
  parts.forEach((test, k) => {
    const train = parts.flatMap((p, j) => (j === k ? [] : p));
    const { threshold } = bestThreshold(train);
    thresholds.push(threshold);
    accs.push(accuracyAt(test, threshold));
  });
  const mean = accs.reduce((s, a) => s + a, 0) / accs.length;
  const std = Math.sqrt(accs.reduce((s, a) => s + (a - mean) ** 2, 0) / accs.length);
  return { accuracy: mean, std, thresholds };
}

export function tarAtFar(pairs: readonly ScoredPair[], far: number): { tar: number; threshold: number } {
  const impostors = pairs.filter((p) => !p.mated).map((p) => p.score).sort((a, b) => b - a);
  const genuine = pairs.filter((p) => p.mated).map((p) => p.score);
  const allowed = Math.floor(far * impostors.length);
  // Accept strictly above the (allowed+1)-th highest impostor score.
  const threshold = impostors[allowed] ?? -Infinity;
  const tar = genuine.filter((s) => s > threshold).length / Math.max(1, genuine.length);
  return { tar, threshold };
}
