/**
 * Stage 6, match: the deployment's frozen watchlist, in memory, searched exactly. A subject may have
 * several templates; every one counts (a subject's score is its best template's).
 *
 * Fusion rule (per track): the embeddings of a track's embedded shots are averaged and re-normalised,
 * and that one fused template is matched. Averaging cancels shot-to-shot noise (pose, blur, lighting)
 * instead of giving every bad shot a fresh chance at a false match, as "best score over shots" would.
 * bench/fusion.ts measures it against single-shot and max-over-shots matching.
 */
import { ExactMatcher } from '../match/exact.ts';
import { searchSubjects, type Matcher, type SubjectHit } from '../match/port.ts';

export interface WatchlistTemplate {
  templateId: string;
  subjectId: string;
  vector: Float32Array;
}

export class FrozenWatchlist {
  private readonly subjectOf = new Map<string, string>();
  readonly subjects: number;

  private constructor(
    private readonly matcher: Matcher,
    templates: readonly WatchlistTemplate[],
  ) {
    for (const t of templates) this.subjectOf.set(t.templateId, t.subjectId);
    this.subjects = new Set(templates.map((t) => t.subjectId)).size;
  }

  static async build(templates: readonly WatchlistTemplate[], dims: number): Promise<FrozenWatchlist> {
    const matcher = new ExactMatcher(dims, { initialCapacity: Math.max(1, templates.length) });
    if (templates.length)
      await matcher.add(
        templates.map((t) => t.templateId),
        templates.map((t) => t.vector),
      );
    return new FrozenWatchlist(matcher, templates);
  }

  get templates(): number {
    return this.matcher.size;
  }

  /** Subjects scoring at or above `minScore` against the fused template, best first. */
  async match(fused: Float32Array, minScore: number, k = 3): Promise<SubjectHit[]> {
    if (this.matcher.size === 0) return [];
    return searchSubjects(this.matcher, fused, k, (id) => this.subjectOf.get(id), { minScore });
  }

  /** Destroy: the matrix is overwritten and freed. */
  async close(): Promise<void> {
    await this.matcher.close();
    this.subjectOf.clear();
  }
}

/** Mean of unit vectors, re-normalised (into `out`, which is returned). */
export function fuse(vectors: readonly Float32Array[], out: Float32Array, weights?: readonly number[]): Float32Array {
  out.fill(0);
  vectors.forEach((v, k) => {
    const w = weights?.[k] ?? 1;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + w * v[i]!;
  });
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * out[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * inv;
  return out;
}
