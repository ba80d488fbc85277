/**
 * The evaluation service: from a protocol and the acquired templates to every figure of the report.
 * No I/O: acquisition (engine, files, cache) happens before, printing and writing after.
 */
import { OpenLfrError } from '../errors.ts';
import type { EngineInfo } from '../engine/port.ts';
import type { AcquiredImage } from './acquire.ts';
import { labelsFor, type Labels, type PairSpec, type Protocol } from './dataset.ts';
import {
  detCurve,
  identificationAt,
  oneIn,
  operatingPointByFpir,
  pairsAccuracy,
  perComparisonRateFromFpir,
  fpirForWatchlistSize,
  prepareIdentification,
  prepareVerification,
  tarAtFmr,
  verificationAt,
  type IdentificationPoint,
  type OperatingPoint,
  type PairsAccuracy,
  type TarPoint,
  type VerificationPoint,
} from './metrics.ts';
import { DEFAULT_EQUITY, equityAt, findEquitableThreshold, type ColumnEquity, type EquityOptions, type LabelledSearch } from './equity.ts';
import { scoreAll } from './score.ts';
import { plainStatements } from './statements.ts';
import { referenceStrength, type ReferenceStrength } from './reference-strength.ts';
import { qualityAnalysis, type QualityReport, type QualitySearch } from './quality.ts';
import { DEFAULT_GATE } from '../live/4-select.ts';
import type { QualityGate } from '../engine/quality.ts';
import { cohortStats, snorm } from './cohort.ts';
import type { Interval } from './stats.ts';

export interface EvaluationOptions {
  /** FPIR values fixing the reported operating points. */
  fpirPoints: number[];
  /** FPIR target of the equitable threshold. */
  fpirTarget: number;
  /** FMR values for TAR at FMR. */
  tarFmrs: number[];
  equity: EquityOptions;
  /** Also use each mated search as a non-mated search against the watchlist without its own identity (N-1 entries). */
  matedAsNonMated: boolean;
  /** Watchlist sizes FPIR is scaled to. */
  scaleTo: number[];
  /** The probe quality gate whose effect is measured (the live pipeline's, by default). */
  qualityGate: QualityGate;
  /** How many of the highest-scoring non-mated searches to list (for spotting label errors). */
  listTopNonMated: number;
}

/** FPIR 1e-3 as the default target: the lowest FPIR that the shipped dataset (lfw-devtrain) can show with its non-mated searches; see docs/evaluation.md. */
export const DEFAULT_OPTIONS: EvaluationOptions = {
  fpirPoints: [1e-2, 1e-3, 1 / 6000],
  fpirTarget: 1e-3,
  tarFmrs: [1e-2, 1e-3, 1e-4],
  equity: DEFAULT_EQUITY,
  matedAsNonMated: false,
  scaleTo: [1000, 10_000],
  listTopNonMated: 20,
  qualityGate: DEFAULT_GATE,
};

export interface ReportedOperatingPoint {
  fpir: number;
  threshold: number | null;
  tpir: number | null;
  fnir: number | null;
  measuredFpir: number | null;
  falseAlarms: number;
  hits: number;
  oneIn: number | null;
  supported: boolean;
  requiredNonMated: number;
  note: string | null;
  /** FPIR at this threshold scaled to other watchlist sizes: from the search-level FPIR, and from the per-comparison FMR. */
  scaled: { watchlistSize: number; fromFpir: number | null; fromFmr: number | null }[];
}

export interface ReportedGroup {
  group: string;
  fpir: number | null;
  fnir: number | null;
  /** [FPIR 95% CI, FNIR 95% CI] (Clopper-Pearson); null where a group has no searches of that kind. */
  ci: [Interval | null, Interval | null];
  n: number;
  nonMated: number;
  mated: number;
  falseAlarms: number;
  misses: number;
  fpirWilson: Interval | null;
  fnirWilson: Interval | null;
}

export interface EvaluationResult {
  engine: string;
  engineInfo: Pick<EngineInfo, 'name' | 'dims' | 'models' | 'provenance'>;
  mode: Protocol['mode'];
  identities: number;
  watchlistSize: number;
  watchlistIdentities: number;
  distractors: number;
  matedSearches: number;
  nonMatedSearches: number;
  nonMatedFromMated: number;
  /** Failure-to-acquire rate over all searches (mated and non-mated; FTA mated searches count as misses). */
  fta: number;
  failures: { matedFta: number; nonMatedFta: number; unreadable: number; enrolmentFailures: number };
  operatingPoints: ReportedOperatingPoint[];
  thresholds: IdentificationPoint[];
  verification: { genuine: number; impostor: number; tarAtFmr: TarPoint[]; det: VerificationPoint[] };
  pairsAccuracy: number | null;
  pairs: PairsAccuracy | null;
  groups: Record<string, ReportedGroup[]>;
  groupsThreshold: number | null;
  equity: { threshold: number; columns: Pick<ColumnEquity, 'column' | 'verdict' | 'reason'>[] }[];
  equitableThreshold: number | null;
  /** The equitable threshold when only FPIR differentials count (false alerts), for comparison. */
  equitableThresholdFpirOnly: number | null;
  equitable: { fpirTarget: number; fpirTargetSupported: boolean; point: IdentificationPoint; columns: Pick<ColumnEquity, 'column' | 'verdict' | 'reason'>[] } | null;
  /** Full per-group detail at the groups threshold (for the report). */
  groupDetail: ColumnEquity[];
  /** The label columns given (empty without --labels). */
  labelColumns: string[];
  /** Plain statements for the text summary: every unsupported point, every significant differential with its
   *  direction, groups too small to show anything, and what to do when nothing could be measured. */
  statements: string[];
  /** The highest-scoring non-mated searches (with --mated-as-nonmated, mated searches by their best other identity, flagged `withoutOwnEntry`). */
  topNonMated: { probe: string; candidate: string; score: number; withoutOwnEntry?: boolean }[];
  /** TPIR/FPIR by probe quality, and the quality gate's effect (null when no template carries quality measures). */
  quality: QualityReport | null;
  /** TPIR by the strength (embedding norm) of the searched person's reference photo; null when the engine gives no norm. */
  referenceStrength: ReferenceStrength | null;
  /** Score normalisation used (thresholds are then in cohort standard deviations), or null for raw cosine similarity. */
  scoreNorm: { method: 's-norm'; topK: number; cohortSize: number } | null;
  /** Every search: probe image, identity, mated, FTA, rank-1 candidate and score, own-entry score (null where none). */
  searches: SearchRecord[];
  options: EvaluationOptions;
}

export interface SearchRecord {
  probe: string;
  identity: string;
  mated: boolean;
  fta: boolean;
  top1: string | null;
  top1Score: number | null;
  mateScore: number | null;
  /** The best-scoring other identity and its score (the search's false alarm, if any). */
  nonMate: string | null;
  nonMateScore: number | null;
}

export interface EvaluationInput {
  protocol: Protocol;
  acquired: ReadonlyMap<string, AcquiredImage>;
  labels: Labels | null;
  pairs: PairSpec[] | null;
  engine: { id: string; info: Pick<EngineInfo, 'name' | 'dims' | 'models' | 'provenance'> };
  /** Score normalisation against a cohort of faces of people on no watchlist (rows x dims), top-k S-norm. */
  cohort?: { embeddings: Float32Array; topK: number };
}

const finite = (t: number): number | null => (Number.isFinite(t) ? t : null);

function acquiredOf(input: EvaluationInput, key: string): AcquiredImage {
  const a = input.acquired.get(key);
  if (!a) throw new OpenLfrError('INTERNAL', `image ${key} was not acquired`);
  return a;
}

export function evaluateRun(input: EvaluationInput, options: EvaluationOptions = DEFAULT_OPTIONS): EvaluationResult {
  const { protocol } = input;
  const dims = input.engine.info.dims;
  // identities as indices
  const ids = new Map<string, number>();
  const idOf = (name: string) => {
    let i = ids.get(name);
    if (i === undefined) ids.set(name, (i = ids.size));
    return i;
  };
  // watchlist: entries whose image yielded no face cannot be enrolled (counted, and their mated searches will miss)
  const enrolled = protocol.watchlist.filter((w) => acquiredOf(input, w.image.key).template.status === 'face');
  const enrolmentFailures = protocol.watchlist.length - enrolled.length;
  const W = new Float32Array(enrolled.length * dims);
  const wid = new Int32Array(enrolled.length);
  enrolled.forEach((w, j) => {
    W.set(acquiredOf(input, w.image.key).template.embedding!, j * dims);
    wid[j] = idOf(w.image.identity);
  });
  const searches = protocol.searches;
  const P = new Float32Array(searches.length * dims);
  const pid = new Int32Array(searches.length);
  const failed = new Uint8Array(searches.length);
  let unreadable = 0;
  searches.forEach((s, i) => {
    const t = acquiredOf(input, s.image.key).template;
    pid[i] = idOf(s.image.identity);
    if (t.status === 'face') P.set(t.embedding!, i * dims);
    else {
      failed[i] = 1;
      if (t.status === 'unreadable') unreadable++;
    }
  });
  const norm = input.cohort ? { probe: cohortStats(P, input.cohort.embeddings, dims, input.cohort.topK), entry: cohortStats(W, input.cohort.embeddings, dims, input.cohort.topK) } : undefined;
  const scored = scoreAll({ dims, watchlist: W, watchlistIdentity: wid, probes: P, probeIdentity: pid, probeFailed: failed, collectImpostor: true, norm });

  const labelled: LabelledSearch[] = searches.map((s, i) => ({
    mated: s.mated,
    fta: failed[i] === 1,
    mateScore: scored.mateScore[i]!,
    nonMateScore: scored.nonMateScore[i]!,
    labels: labelsFor(input.labels, s.image),
    person: s.image.identity,
  }));
  const all: LabelledSearch[] = options.matedAsNonMated
    ? [...labelled, ...labelled.filter((s) => s.mated).map((s) => ({ ...s, mated: false, mateScore: -Infinity }))]
    : labelled;
  const set = prepareIdentification(all);
  const watchlistSize = enrolled.length;
  const probeQuality = searches.map((s) => {
    const t = acquiredOf(input, s.image.key).template;
    return t.quality && t.interEyePx !== null && t.detectorScore !== null ? { ...t.quality, interEyePx: t.interEyePx, detectorScore: t.detectorScore } : null;
  });
  const qualitySearches: QualitySearch[] = [
    ...labelled.map((s, i) => ({ ...s, quality: probeQuality[i]! })),
    ...(options.matedAsNonMated ? labelled.flatMap((s, i) => (s.mated ? [{ ...s, mated: false, mateScore: -Infinity, quality: probeQuality[i]! }] : [])) : []),
  ];

  // each watchlist person's strongest reference norm (when the engine gives it)
  const referenceNormOf = new Map<string, number>();
  for (const w of enrolled) {
    const n = acquiredOf(input, w.image.key).template.quality?.embeddingNorm;
    if (typeof n === 'number') referenceNormOf.set(w.image.identity, Math.max(n, referenceNormOf.get(w.image.identity) ?? -Infinity));
  }

  // verification from the same comparisons: genuine = each mated search vs its own entry (FTA / not enrolled = -Infinity)
  const genuine = labelled.filter((s) => s.mated).map((s) => s.mateScore);
  const ver = prepareVerification(genuine, scored.impostor);
  const fmrAt = (t: number) => verificationAt(ver, t).fmr;

  const operatingPoints: ReportedOperatingPoint[] = options.fpirPoints.map((target) => {
    const op: OperatingPoint = operatingPointByFpir(set, target);
    const t = op.threshold;
    const fmr = Number.isFinite(t) ? fmrAt(t) : null;
    return {
      fpir: target,
      threshold: finite(t),
      tpir: op.tpir,
      fnir: op.fnir,
      measuredFpir: op.fpir,
      falseAlarms: op.falseAlarms,
      hits: op.hits,
      oneIn: oneIn(op.fpir),
      supported: op.supported,
      requiredNonMated: op.requiredNonMated,
      note: op.note,
      scaled: options.scaleTo.map((size) => ({
        watchlistSize: size,
        fromFpir: op.fpir === null || watchlistSize === 0 ? null : fpirForWatchlistSize(perComparisonRateFromFpir(op.fpir, watchlistSize), size),
        fromFmr: fmr === null ? null : fpirForWatchlistSize(fmr, size),
      })),
    };
  });

  // thresholds grid for curves
  const lows = [set.alarmScores[Math.floor(set.alarmScores.length * 0.01)], set.hitScores[0]].filter((x): x is number => x !== undefined && Number.isFinite(x));
  const highs = [set.alarmScores[set.alarmScores.length - 1], set.hitScores[set.hitScores.length - 1]].filter((x): x is number => x !== undefined && Number.isFinite(x));
  const thresholds: IdentificationPoint[] = [];
  if (lows.length && highs.length) {
    const lo = Math.floor(Math.min(...lows) * 20) / 20;
    const hi = Math.ceil(Math.max(...highs) * 20) / 20;
    for (let k = Math.round(lo * 100); k <= Math.round(hi * 100); k++) thresholds.push(identificationAt(set, k / 100));
  }

  // equity
  const columns = input.labels?.columns ?? [];
  const target = operatingPointByFpir(set, options.fpirTarget);
  const groupsThreshold = finite(target.threshold);
  const groupDetail = groupsThreshold === null ? [] : columns.map((c) => equityAt(all, c, groupsThreshold, options.equity));
  const groups: Record<string, ReportedGroup[]> = {};
  for (const col of groupDetail)
    groups[col.column] = col.groups.map((g) => ({
      group: g.group,
      fpir: g.fpir.rate,
      fnir: g.fnir.rate,
      ci: [g.fpir.clopperPearson, g.fnir.clopperPearson],
      n: g.fpir.n + g.fnir.n,
      nonMated: g.fpir.n,
      mated: g.fnir.n,
      falseAlarms: g.fpir.errors,
      misses: g.fnir.errors,
      fpirWilson: g.fpir.wilson,
      fnirWilson: g.fnir.wilson,
    }));
  const eq = columns.length > 0 ? findEquitableThreshold(all, columns, options.fpirTarget, options.equity) : null;
  const eqFpir = columns.length > 0 ? findEquitableThreshold(all, columns, options.fpirTarget, { ...options.equity, metrics: ['fpir'] }) : null;
  const brief = (c: ColumnEquity) => ({ column: c.column, verdict: c.verdict, reason: c.reason });
  const equityThresholds = new Set<number>();
  if (groupsThreshold !== null) {
    const centre = Math.round(groupsThreshold * 50) / 50;
    for (let k = -5; k <= 5; k++) equityThresholds.add(Number((centre + k * 0.02).toFixed(2)));
  }
  for (const op of operatingPoints) if (op.threshold !== null) equityThresholds.add(op.threshold);
  if (eq) equityThresholds.add(eq.threshold);
  const equity = columns.length === 0 ? [] : [...equityThresholds].sort((a, b) => a - b).map((t) => ({ threshold: t, columns: columns.map((c) => brief(equityAt(all, c, t, options.equity))) }));

  // pairs
  let pairs: PairsAccuracy | null = null;
  if (input.pairs) {
    if (protocol.mode !== 'dataset') throw new OpenLfrError('BAD_REQUEST', '--pairs needs --dataset mode (pair paths are relative to the dataset root)');
    const byRel = new Map([...input.acquired.values()].map((a) => [a.image.rel, a]));
    // cohort statistics of each pair image: it is a search or a watchlist entry
    const statsOf = new Map<string, [number, number]>();
    if (norm) {
      searches.forEach((s, i) => statsOf.set(s.image.rel, [norm.probe.mu[i]!, norm.probe.sigma[i]!]));
      enrolled.forEach((w, j) => statsOf.set(w.image.rel, [norm.entry.mu[j]!, norm.entry.sigma[j]!]));
    }
    const scoredPairs = input.pairs.map((p) => {
      const a = byRel.get(p.a);
      const b = byRel.get(p.b);
      if (!a || !b) throw new OpenLfrError('BAD_REQUEST', `Pairs file names an image that is not in the dataset: ${!a ? p.a : p.b}`);
      const ea = a.template.embedding;
      const eb = b.template.embedding;
      let score = -Infinity;
      if (ea && eb) {
        score = 0;
        for (let x = 0; x < dims; x++) score += ea[x]! * eb[x]!;
        const na = statsOf.get(p.a);
        const nb = statsOf.get(p.b);
        if (norm && na && nb) score = snorm(score, na[0], na[1], nb[0], nb[1]);
      }
      return { same: p.same, score };
    });
    pairs = pairsAccuracy(scoredPairs, 10);
  }

  // the highest-scoring non-mated searches (label errors of the dataset show up here); with --mated-as-nonmated,
  // mated searches count too, by their best score against someone else
  const topNonMated = searches
    .map((s, i) => ({ s, i }))
    .filter(({ s, i }) => (!s.mated || options.matedAsNonMated) && !failed[i])
    .sort((a, b) => scored.nonMateScore[b.i]! - scored.nonMateScore[a.i]!)
    .slice(0, options.listTopNonMated)
    .map(({ s, i }) => ({
      probe: s.image.rel,
      candidate: enrolled[scored.nonMateTop[i]!]?.image.identity ?? '',
      score: scored.nonMateScore[i]!,
      ...(s.mated ? { withoutOwnEntry: true } : {}),
    }));

  const searchRecords: SearchRecord[] = searches.map((s, i) => ({
    probe: s.image.key,
    identity: s.image.identity,
    mated: s.mated,
    fta: failed[i] === 1,
    top1: enrolled[scored.top1[i]!]?.image.identity ?? null,
    top1Score: finite(scored.top1Score[i]!),
    mateScore: finite(scored.mateScore[i]!),
    nonMate: enrolled[scored.nonMateTop[i]!]?.image.identity ?? null,
    nonMateScore: finite(scored.nonMateScore[i]!),
  }));
  const matedFta = labelled.filter((s) => s.mated && s.fta).length;
  const nonMatedFta = labelled.filter((s) => !s.mated && s.fta).length;
  return {
    engine: input.engine.id,
    engineInfo: input.engine.info,
    mode: protocol.mode,
    identities: protocol.identities,
    watchlistSize,
    watchlistIdentities: new Set(enrolled.map((w) => w.image.identity)).size,
    distractors: protocol.distractors,
    matedSearches: set.matedSearches,
    nonMatedSearches: set.nonMatedSearches,
    nonMatedFromMated: options.matedAsNonMated ? set.matedSearches : 0,
    fta: searches.length > 0 ? (matedFta + nonMatedFta) / searches.length : 0,
    failures: { matedFta, nonMatedFta, unreadable, enrolmentFailures },
    operatingPoints,
    thresholds,
    verification: {
      genuine: ver.genuine.length,
      impostor: ver.impostor.length,
      tarAtFmr: options.tarFmrs.map((f) => tarAtFmr(ver, f)),
      det: detCurve(ver, 10),
    },
    pairsAccuracy: pairs?.accuracy ?? null,
    pairs,
    groups,
    groupsThreshold,
    equity,
    equitableThreshold: eq ? eq.threshold : null,
    equitableThresholdFpirOnly: eqFpir ? eqFpir.threshold : null,
    equitable: eq ? { fpirTarget: eq.fpirTarget, fpirTargetSupported: eq.fpirTargetSupported, point: eq.point, columns: eq.columns.map(brief) } : null,
    groupDetail,
    labelColumns: columns,
    statements: plainStatements({ operatingPoints, nonMatedSearches: set.nonMatedSearches, matedSearches: set.matedSearches, labelColumns: columns, groupDetail, groupsThreshold, fpirTarget: options.fpirTarget, matedAsNonMated: options.matedAsNonMated }),
    topNonMated,
    quality: qualityAnalysis(
      qualitySearches,
      operatingPoints.flatMap((p) => (p.threshold === null ? [] : [p.threshold])),
      options.fpirPoints,
      options.qualityGate,
    ),
    referenceStrength: referenceStrength(
      labelled.map((s, i) => ({ ...s, identity: searches[i]!.image.identity, referenceNorm: referenceNormOf.get(searches[i]!.image.identity) ?? null })),
      [...operatingPoints.flatMap((p) => (p.threshold === null ? [] : [p.threshold])), ...(eqFpir && Number.isFinite(eqFpir.threshold) ? [eqFpir.threshold] : [])],
    ),
    scoreNorm: input.cohort ? { method: 's-norm', topK: input.cohort.topK, cohortSize: input.cohort.embeddings.length / dims } : null,
    searches: searchRecords,
    options,
  };
}
