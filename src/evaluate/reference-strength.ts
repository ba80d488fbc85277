/**
 * Reference strength: how often a person is found as a function of how strong their watchlist photo's
 * template is (the embedder's output length, AnalysedFace.embeddingNorm, of the reference rather than of the
 * search). Measured on the default engine's test part of lfw-devtrain, searches against the weakest fifth of
 * references were found far less often than against the strongest fifth, so the enrolment step tells the
 * watchlist manager where a new photo falls, with this run's figures (src/governance/reference-strength.ts).
 * Pure: no I/O.
 */
import { identificationAt, prepareIdentification, type SearchOutcome } from './metrics.ts';

export interface ReferenceStrengthBin {
  /** Reference norms in the bin (of the subjects searched for). */
  from: number;
  to: number;
  subjects: number;
  matedSearches: number;
  /** TPIR of the bin's mated searches at each threshold (rank 1 and at or above the threshold). */
  points: { threshold: number; tpir: number | null }[];
}

export interface ReferenceStrength {
  /** Cut points between the bins (ascending): the quintiles of the reference norms of the subjects searched for. */
  cuts: number[];
  bins: ReferenceStrengthBin[];
}

export interface StrengthSearch extends SearchOutcome {
  /** The searched person's strongest reference norm; null when the engine gives none or the person has no reference. */
  referenceNorm: number | null;
  identity: string;
}

export function referenceStrength(searches: readonly StrengthSearch[], thresholds: readonly number[], bins = 5): ReferenceStrength | null {
  const mated = searches.filter((s): s is StrengthSearch & { referenceNorm: number } => s.mated && typeof s.referenceNorm === 'number' && Number.isFinite(s.referenceNorm));
  if (mated.length === 0) return null;
  // cut points over subjects (what a new enrolment is compared with), not over searches (people with many photos would weigh more)
  const perSubject = new Map(mated.map((s) => [s.identity, s.referenceNorm]));
  const values = [...perSubject.values()].sort((a, b) => a - b);
  const cuts = [...new Set(Array.from({ length: bins - 1 }, (_, k) => values[Math.floor(((k + 1) * values.length) / bins)]!))].filter((c) => c > values[0]!);
  const edges = [-Infinity, ...cuts, Infinity];
  const out: ReferenceStrengthBin[] = [];
  for (let b = 0; b + 1 < edges.length; b++) {
    const inBin = mated.filter((s) => s.referenceNorm >= edges[b]! && s.referenceNorm < edges[b + 1]!);
    const norms = [...new Set(inBin.map((s) => s.identity))].map((id) => perSubject.get(id)!);
    const set = prepareIdentification(inBin);
    out.push({
      from: Math.min(...norms),
      to: Math.max(...norms),
      subjects: norms.length,
      matedSearches: set.matedSearches,
      points: thresholds.map((t) => ({ threshold: t, tpir: identificationAt(set, t).tpir })),
    });
  }
  return { cuts, bins: out };
}
