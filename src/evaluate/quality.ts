/**
 * Accuracy as a function of probe quality (issue 9): TPIR and FPIR per quintile of each quality measure of
 * the searched face (the live pipeline's shot score, inter-eye distance, |yaw|, |pitch|, sharpness,
 * brightness; src/engine/quality.ts), and the effect of the live pipeline's quality gate on probes: searches whose face fails the gate are not searched (counted as
 * failures to acquire: a mated one is a miss, a non-mated one raises no alarm), and TPIR is compared at the
 * same FPIR before and after. Pure: no I/O.
 */
import { qualityFailure, qualityScore, type GateQuality, type QualityGate } from '../engine/quality.ts';
import { identificationAt, operatingPointByFpir, prepareIdentification, type SearchOutcome } from './metrics.ts';

export interface ProbeQuality extends GateQuality {
  brightness: number;
  detectorScore: number;
  embeddingNorm?: number | null;
}

export interface QualitySearch extends SearchOutcome {
  quality: ProbeQuality | null;
}

type Measure = 'embeddingNorm' | 'qualityScore' | 'interEyePx' | 'absYawDeg' | 'absPitchDeg' | 'sharpness' | 'brightness';
const MEASURES: { measure: Measure; of: (q: ProbeQuality) => number }[] = [
  { measure: 'embeddingNorm', of: (q) => q.embeddingNorm ?? NaN },
  { measure: 'qualityScore', of: (q) => qualityScore(q, q.detectorScore) },
  { measure: 'interEyePx', of: (q) => q.interEyePx },
  { measure: 'absYawDeg', of: (q) => Math.abs(q.yawDeg) },
  { measure: 'absPitchDeg', of: (q) => Math.abs(q.pitchDeg) },
  { measure: 'sharpness', of: (q) => q.sharpness },
  { measure: 'brightness', of: (q) => q.brightness },
];

export interface QualityBinPoint {
  threshold: number;
  tpir: number | null;
  fpir: number | null;
  hits: number;
  falseAlarms: number;
}

export interface QualityReport {
  /** Per measure, quintiles of the searched faces (mated and non-mated together), with TPIR/FPIR at each threshold. */
  measures: { measure: Measure; bins: { from: number; to: number; mated: number; nonMated: number; points: QualityBinPoint[] }[] }[];
  gate: GateEffect & { gate: QualityGate };
  /** Gates on the embedding norm at the 5th, 10th and 20th percentile of the searched faces (when the engine gives it). */
  normGates: (GateEffect & { percentile: number; minNorm: number })[];
}

export interface GateEffect {
  gatedMated: number;
  gatedNonMated: number;
  matedSearches: number;
  nonMatedSearches: number;
  /** TPIR at each FPIR target without and with the gate (each with its own threshold). */
  atFpir: { fpir: number; before: { threshold: number | null; tpir: number | null }; after: { threshold: number | null; tpir: number | null } }[];
}

const finiteOrNull = (t: number): number | null => (Number.isFinite(t) ? t : null);

export function qualityAnalysis(searches: readonly QualitySearch[], thresholds: readonly number[], fpirTargets: readonly number[], gate: QualityGate, bins = 5): QualityReport | null {
  const withQ = searches.filter((s): s is QualitySearch & { quality: ProbeQuality } => !s.fta && s.quality !== null);
  if (withQ.length === 0) return null;
  const measures = MEASURES.flatMap(({ measure, of }) => {
    const has = withQ.filter((s) => !Number.isNaN(of(s.quality)));
    if (has.length === 0) return []; // the engine does not give this measure
    const values = has.map((s) => of(s.quality)).sort((a, b) => a - b);
    // cut points at the quintiles; tied values stay in one bin, so there may be fewer bins than asked
    const cuts = [...new Set(Array.from({ length: bins - 1 }, (_, k) => values[Math.floor(((k + 1) * values.length) / bins)]!))].filter((c) => c > values[0]!);
    const edges = [-Infinity, ...cuts, Infinity];
    const out = [];
    for (let b = 0; b + 1 < edges.length; b++) {
      const inBin = has.filter((s) => of(s.quality) >= edges[b]! && of(s.quality) < edges[b + 1]!);
      const v = inBin.map((s) => of(s.quality));
      const set = prepareIdentification(inBin);
      out.push({
        from: Math.min(...v),
        to: Math.max(...v),
        mated: set.matedSearches,
        nonMated: set.nonMatedSearches,
        points: thresholds.map((t) => {
          const p = identificationAt(set, t);
          return { threshold: t, tpir: p.tpir, fpir: p.fpir, hits: p.hits, falseAlarms: p.falseAlarms };
        }),
      });
    }
    return [{ measure, bins: out }];
  });
  const norms = withQ.map((s) => s.quality.embeddingNorm).filter((n): n is number => typeof n === 'number').sort((a, b) => a - b);
  return {
    measures,
    gate: { gate, ...gateEffect(searches, fpirTargets, (q) => qualityFailure(q, gate) === null) },
    normGates:
      norms.length === 0
        ? []
        : [0.05, 0.1, 0.2].map((percentile) => {
            const minNorm = norms[Math.floor(percentile * norms.length)]!;
            return { percentile, minNorm, ...gateEffect(searches, fpirTargets, (q) => (q.embeddingNorm ?? Infinity) >= minNorm) };
          }),
  };
}

/** Searches whose face fails `keep` are not searched (failures to acquire); TPIR at each FPIR before and after. */
function gateEffect(searches: readonly QualitySearch[], fpirTargets: readonly number[], keep: (q: ProbeQuality) => boolean): GateEffect {
  const gated = searches.map((s) => (s.fta || !s.quality || keep(s.quality) ? s : { ...s, fta: true }));
  const before = prepareIdentification(searches);
  const after = prepareIdentification(gated);
  const newlyGated = gated.filter((s, i) => s.fta && !searches[i]!.fta);
  return {
    gatedMated: newlyGated.filter((s) => s.mated).length,
    gatedNonMated: newlyGated.filter((s) => !s.mated).length,
    matedSearches: before.matedSearches,
    nonMatedSearches: before.nonMatedSearches,
    atFpir: fpirTargets.map((fpir) => {
      const b = operatingPointByFpir(before, fpir);
      const a = operatingPointByFpir(after, fpir);
      return { fpir, before: { threshold: finiteOrNull(b.threshold), tpir: b.tpir }, after: { threshold: finiteOrNull(a.threshold), tpir: a.tpir } };
    }),
  };
}
