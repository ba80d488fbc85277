/**
 * Synthetic walk-past: several still photographs of one person stand for the shots a camera takes of one
 * passer-by, to measure multi-frame fusion the way the live pipeline does it (src/live/6-match.ts `fuse`:
 * the mean of the shots' unit embeddings, re-normalised, matched once).
 *
 * Protocol (on the identities of the run, in file-name order):
 * - walkers: identities with at least frames + 1 images; every other walker in SHA-256 order of the name is
 *   on the watchlist (its first image enrolled), the rest walk past without being on it;
 * - the first image of every other identity joins the watchlist as a distractor, so N is the run's size;
 * - a mated track: `frames` consecutive images of an on-list walker after the enrolled one (leftovers dropped);
 *   a non-mated track: `frames` consecutive images of an off-list walker;
 * - also, as in `--mated-as-nonmated`, every mated track searched against the watchlist without its own entry.
 *
 * Rules compared: `single` (the track's first shot only), `max` (the best score over the shots, per
 * candidate), `average` (the live pipeline's fused template). A shot without a face is skipped; a track
 * with no face at all is a failure to acquire.
 */
import { fuse } from '../live/6-match.ts';
import type { AcquiredImage } from './acquire.ts';
import { hashOrder, type DatasetImage } from './dataset.ts';
import { identificationAt, operatingPointByFpir, prepareIdentification, type SearchOutcome } from './metrics.ts';
import { scoreAll } from './score.ts';
import { OpenLfrError } from '../errors.ts';

export type FusionRule = 'single' | 'max' | 'average' | 'norm-weighted';
/** norm-weighted: the average with each shot weighted by its embedding norm (a quality signal; weight 1 when the engine gives none). */
export const FUSION_RULES: readonly FusionRule[] = ['single', 'max', 'average', 'norm-weighted'];

export interface WalkPastPoint {
  fpir: number;
  threshold: number | null;
  tpir: number | null;
  falseAlarms: number;
  supported: boolean;
}

export interface WalkPastResult {
  framesPerTrack: number;
  watchlistSize: number;
  walkersOnList: number;
  walkersOffList: number;
  matedTracks: number;
  nonMatedTracks: number;
  /** Non-mated searches when mated tracks also search without their own entry. */
  nonMatedWithMated: number;
  rules: {
    rule: FusionRule;
    fta: number;
    points: WalkPastPoint[];
    pointsMatedAsNonMated: WalkPastPoint[];
    /** At fixed thresholds (the single-image evaluation's operating points), with mated tracks also searching as non-mated. */
    atThresholds: { threshold: number; tpir: number | null; fpir: number | null; falseAlarms: number; nonMated: number }[];
  }[];
  /** The highest-scoring non-mated tracks under the averaging rule (label errors of the dataset show up here). */
  topNonMated: { identity: string; candidate: string; score: number }[];
}

interface Track {
  identity: string;
  mated: boolean;
  frames: (Float32Array | null)[];
  norms: number[];
}

export function walkPast(
  images: readonly DatasetImage[],
  acquired: ReadonlyMap<string, AcquiredImage>,
  frames: number,
  dims: number,
  fpirPoints: readonly number[],
  thresholds: readonly number[] = [],
): WalkPastResult {
  if (!(Number.isInteger(frames) && frames >= 2 && frames <= 20)) throw new OpenLfrError('BAD_REQUEST', `--walk-past takes 2..20 frames per track (got ${frames})`);
  const byId = new Map<string, DatasetImage[]>();
  for (const im of images) byId.set(im.identity, [...(byId.get(im.identity) ?? []), im]);
  const emb = (im: DatasetImage) => {
    const a = acquired.get(im.key);
    if (!a) throw new OpenLfrError('INTERNAL', `image ${im.key} was not acquired`);
    return a.template.embedding;
  };
  const normOf = (im: DatasetImage) => acquired.get(im.key)?.template.quality?.embeddingNorm ?? 1;
  const walkers = hashOrder([...byId.keys()].filter((id) => byId.get(id)!.length >= frames + 1));
  const onList = new Set(walkers.filter((_, i) => i % 2 === 0));
  const offList = new Set(walkers.filter((_, i) => i % 2 === 1));

  const watchRows: Float32Array[] = [];
  const watchIds: string[] = [];
  const tracks: Track[] = [];
  for (const [id, ims] of byId) {
    if (!offList.has(id)) {
      const e = emb(ims[0]!);
      if (e) {
        watchRows.push(e);
        watchIds.push(id);
      }
    }
    const rest = onList.has(id) ? ims.slice(1) : offList.has(id) ? ims : [];
    for (let s = 0; s + frames <= rest.length; s += frames) {
      const span = rest.slice(s, s + frames);
      tracks.push({ identity: id, mated: onList.has(id), frames: span.map(emb), norms: span.map(normOf) });
    }
  }
  const idIndex = new Map<string, number>();
  const idx = (id: string) => idIndex.get(id) ?? (idIndex.set(id, idIndex.size), idIndex.size - 1);
  const W = new Float32Array(watchRows.length * dims);
  watchRows.forEach((r, j) => W.set(r, j * dims));
  const wid = Int32Array.from(watchIds.map(idx));

  const score = (probes: (Float32Array | null)[], identities: string[]) => {
    const P = new Float32Array(probes.length * dims);
    const failed = new Uint8Array(probes.length);
    probes.forEach((p, i) => (p ? P.set(p, i * dims) : (failed[i] = 1)));
    return scoreAll({ dims, watchlist: W, watchlistIdentity: wid, probes: P, probeIdentity: Int32Array.from(identities.map(idx)), probeFailed: failed, collectImpostor: false });
  };

  // every shot of every track scored once (for single and max), and every fused template
  const shots = tracks.flatMap((t) => t.frames);
  const shotIds = tracks.flatMap((t) => t.frames.map(() => t.identity));
  const perShot = score(shots, shotIds);
  const fusedWith = (weighted: boolean) =>
    tracks.map((t) => {
      const kept = t.frames.flatMap((f, k) => (f ? [{ f, w: t.norms[k]! }] : []));
      return kept.length ? fuse(kept.map((x) => x.f), new Float32Array(dims), weighted ? kept.map((x) => x.w) : undefined) : null;
    });
  const fused = fusedWith(false);
  const perFused = score(fused, tracks.map((t) => t.identity));
  const weightedFused = fusedWith(true);
  const perWeighted = score(weightedFused, tracks.map((t) => t.identity));

  const outcomes = (rule: FusionRule): SearchOutcome[] =>
    tracks.map((t, i) => {
      if (rule === 'average') return { mated: t.mated, fta: fused[i] === null, mateScore: perFused.mateScore[i]!, nonMateScore: perFused.nonMateScore[i]! };
      if (rule === 'norm-weighted') return { mated: t.mated, fta: weightedFused[i] === null, mateScore: perWeighted.mateScore[i]!, nonMateScore: perWeighted.nonMateScore[i]! };
      const first = i * frames;
      const span = rule === 'single' ? [first] : Array.from({ length: frames }, (_, f) => first + f).filter((s) => shots[s] !== null);
      if (span.length === 0 || shots[span[0]!] === null) return { mated: t.mated, fta: true, mateScore: -Infinity, nonMateScore: -Infinity };
      return { mated: t.mated, fta: false, mateScore: Math.max(...span.map((s) => perShot.mateScore[s]!)), nonMateScore: Math.max(...span.map((s) => perShot.nonMateScore[s]!)) };
    });
  const pointsOf = (searches: SearchOutcome[]) => {
    const set = prepareIdentification(searches);
    return fpirPoints.map((f) => {
      const op = operatingPointByFpir(set, f);
      return { fpir: f, threshold: Number.isFinite(op.threshold) ? op.threshold : null, tpir: op.tpir, falseAlarms: op.falseAlarms, supported: op.supported };
    });
  };
  const rules = FUSION_RULES.map((rule) => {
    const o = outcomes(rule);
    const asNonMated = o.filter((s) => s.mated).map((s) => ({ ...s, mated: false, mateScore: -Infinity }));
    const both = prepareIdentification([...o, ...asNonMated]);
    const atThresholds = thresholds.map((t) => {
      const p = identificationAt(both, t);
      return { threshold: t, tpir: p.tpir, fpir: p.fpir, falseAlarms: p.falseAlarms, nonMated: p.nonMatedSearches };
    });
    return { rule, fta: o.length ? o.filter((s) => s.fta).length / o.length : 0, points: pointsOf(o), pointsMatedAsNonMated: pointsOf([...o, ...asNonMated]), atThresholds };
  });
  const matedTracks = tracks.filter((t) => t.mated).length;
  const topNonMated = tracks
    .map((t, i) => ({ t, i }))
    .filter(({ t, i }) => !t.mated && fused[i] !== null)
    .sort((a, b) => perFused.nonMateScore[b.i]! - perFused.nonMateScore[a.i]!)
    .slice(0, 10)
    .map(({ t, i }) => ({ identity: t.identity, candidate: watchIds[perFused.top1[i]!] ?? '', score: perFused.nonMateScore[i]! }));
  return {
    framesPerTrack: frames,
    watchlistSize: watchRows.length,
    walkersOnList: onList.size,
    walkersOffList: offList.size,
    matedTracks,
    nonMatedTracks: tracks.length - matedTracks,
    nonMatedWithMated: tracks.length,
    rules,
    topNonMated,
  };
}
