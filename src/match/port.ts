/**
 * The matching port: one interface for every way of finding the templates most similar to a probe.
 * The live pipeline (frozen watchlist in memory) and retrospective search (large galleries) both use it.
 *
 * Templates are L2-normalised float vectors (the engine's `embed` output), so cosine similarity is the
 * dot product and `score` is in [-1, 1], higher = more similar. Results are ranked by score descending;
 * equal scores are ordered by id ascending (plain string order), so results are deterministic.
 *
 * A subject may have several templates: the index holds templates, not subjects. The caller keeps the
 * template -> subject mapping and reduces hits with `bestPerSubject` / `searchSubjects` below.
 *
 * Implementations (all pass test/contract/matcher.contract.ts):
 *  - `exact`          plain TypeScript brute force over an in-memory Float32Array matrix (the default);
 *  - `usearch-exact`  the same matrix, scanned by usearch's native SIMD kernel on several threads;
 *  - `usearch-hnsw`   usearch's HNSW graph for large galleries: approximate, candidates re-scored exactly.
 *
 * Biometric data: the index holds templates in memory only. Nothing here writes to disk or logs a vector.
 */
import { OpenLfrError } from '../errors.ts';

export interface SearchHit {
  /** The template id given to `add`. */
  id: string;
  /** Cosine similarity (dot product of two unit vectors), in [-1, 1]. */
  score: number;
}

export interface SearchOptions {
  /** Only hits with score >= minScore are returned (the live pipeline's alert threshold). */
  minScore?: number;
}

/** Several probes at once: a flat Float32Array of n * dims values, or one vector per probe. */
export type Probes = Float32Array | readonly Float32Array[];

export type MatcherImpl = 'exact' | 'usearch-exact' | 'usearch-hnsw';

export interface Matcher {
  /** Which implementation this is (for reports and benchmarks). */
  readonly impl: MatcherImpl;
  /** True when results may miss true neighbours (an approximate index); scores of hits are still exact. */
  readonly approximate: boolean;
  /** Vector length every template and probe must have. */
  readonly dims: number;
  /** Number of templates currently in the index. */
  readonly size: number;
  /**
   * Add templates. `vectors` is one vector per id, or a flat array of ids.length * dims values.
   * Every vector is checked first (dimension, finite, non-zero, unit length) and ids must be new
   * (not in the index, not repeated): on any error nothing is added.
   */
  add(ids: readonly string[], vectors: Probes): Promise<void>;
  /** Remove templates by id; unknown ids are ignored. Returns how many were removed. */
  remove(ids: readonly string[]): Promise<number>;
  /** Whether a template id is in the index. */
  has(id: string): boolean;
  /** The k most similar templates to one probe, best first (fewer when the index holds fewer). */
  search(query: Float32Array, k: number, options?: SearchOptions): Promise<SearchHit[]>;
  /** `search` for many probes at once; result i belongs to probe i. Faster than a loop of `search`. */
  searchBatch(queries: Probes, k: number, options?: SearchOptions): Promise<SearchHit[][]>;
  /** Free the memory; every later call fails with MATCH_CLOSED. Idempotent. */
  close(): Promise<void>;
}

/** How far a template's L2 norm may be from 1 (float32 rounding of a normalised 512-d vector is ~1e-7). */
export const UNIT_NORM_TOLERANCE = 1e-3;

/**
 * Check one vector; throws a typed error naming what is wrong. `what` says which vector (for the message);
 * the values themselves are never put in the message (they are biometric).
 */
export function checkVector(v: ArrayLike<number>, dims: number, what: string, offset?: number): void {
  if (offset === undefined && v.length !== dims) {
    throw new OpenLfrError('MATCH_DIMENSION_MISMATCH', `${what} has ${v.length} dimensions, the index has ${dims}`, {
      expected: dims,
      actual: v.length,
    });
  }
  const o = offset ?? 0;
  let sq = 0;
  for (let j = 0; j < dims; j++) {
    const x = v[o + j]!;
    if (!Number.isFinite(x)) {
      throw new OpenLfrError('MATCH_VECTOR_INVALID', `${what} contains a NaN or infinite value`, { reason: 'not-finite' });
    }
    sq += x * x;
  }
  if (sq === 0) throw new OpenLfrError('MATCH_VECTOR_INVALID', `${what} is the zero vector`, { reason: 'zero' });
  const norm = Math.sqrt(sq);
  if (Math.abs(norm - 1) > UNIT_NORM_TOLERANCE) {
    throw new OpenLfrError('MATCH_VECTOR_INVALID', `${what} is not L2-normalised (norm ${norm.toFixed(4)})`, {
      reason: 'not-normalised',
      norm,
    });
  }
}

/** Check one probe: a Float32Array of the index's dimension, finite, non-zero, unit length. */
export function checkProbe(q: Float32Array, dims: number): void {
  if (!(q instanceof Float32Array)) throw new OpenLfrError('MATCH_VECTOR_INVALID', 'the probe is not a Float32Array', { reason: 'type' });
  checkVector(q, dims, 'probe');
}

/** Check every vector of a batch and return them as one flat Float32Array of count * dims values. */
export function flattenChecked(vectors: Probes, count: number, dims: number, what: string): Float32Array {
  let flat: Float32Array;
  if (vectors instanceof Float32Array) {
    if (vectors.length !== count * dims) {
      throw new OpenLfrError(
        'MATCH_DIMENSION_MISMATCH',
        `${what}: a flat array of ${vectors.length} values does not hold ${count} vectors of ${dims} dimensions`,
        { expected: count * dims, actual: vectors.length },
      );
    }
    flat = vectors;
  } else {
    if (vectors.length !== count) {
      throw new OpenLfrError('MATCH_BAD_ARGUMENT', `${what}: ${vectors.length} vectors for ${count} ids`);
    }
    flat = new Float32Array(count * dims);
    vectors.forEach((v, i) => {
      if (!(v instanceof Float32Array)) throw new OpenLfrError('MATCH_VECTOR_INVALID', `${what} ${i} is not a Float32Array`);
      checkVector(v, dims, `${what} ${i}`);
      flat.set(v, i * dims);
    });
    return flat;
  }
  for (let i = 0; i < count; i++) checkVector(flat, dims, `${what} ${i}`, i * dims);
  return flat;
}

/** Number of probes in a batch (validating a flat array's length). */
export function probeCount(queries: Probes, dims: number): number {
  if (queries instanceof Float32Array) {
    if (queries.length % dims !== 0 || queries.length === 0) {
      throw new OpenLfrError(
        'MATCH_DIMENSION_MISMATCH',
        `a flat probe array of ${queries.length} values is not a whole number of ${dims}-dimensional vectors`,
        { expected: dims, actual: queries.length },
      );
    }
    return queries.length / dims;
  }
  return queries.length;
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new OpenLfrError('MATCH_BAD_ARGUMENT', `k must be a positive integer, got ${k}`);
}

export function checkIds(ids: readonly string[], has: (id: string) => boolean): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (typeof id !== 'string' || id.length === 0) throw new OpenLfrError('MATCH_BAD_ARGUMENT', 'template ids must be non-empty strings');
    if (seen.has(id) || has(id)) throw new OpenLfrError('MATCH_DUPLICATE_ID', `template id ${id} is already in the index`, { id });
    seen.add(id);
  }
}

/** Ranking order of the port: score descending, then id ascending. */
export function compareHits(a: SearchHit, b: SearchHit): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Scale a vector to unit length (a copy). Throws MATCH_VECTOR_INVALID for zero or non-finite input. */
export function l2normalise(v: ArrayLike<number>): Float32Array {
  let sq = 0;
  for (let j = 0; j < v.length; j++) sq += v[j]! * v[j]!;
  if (!(sq > 0) || !Number.isFinite(sq)) {
    throw new OpenLfrError('MATCH_VECTOR_INVALID', 'cannot normalise a zero or non-finite vector', { reason: sq === 0 ? 'zero' : 'not-finite' });
  }
  const s = 1 / Math.sqrt(sq);
  const out = new Float32Array(v.length);
  for (let j = 0; j < v.length; j++) out[j] = v[j]! * s;
  return out;
}

export interface SubjectHit {
  subject: string;
  /** The best score over the subject's templates. */
  score: number;
  /** The template that gave the best score. */
  templateId: string;
}

/**
 * Reduce template hits to one hit per subject (its best-scoring template), ranked like the port
 * (score descending, then subject ascending). Hits whose template has no subject are dropped.
 */
export function bestPerSubject(hits: readonly SearchHit[], subjectOf: (templateId: string) => string | undefined, k = Infinity): SubjectHit[] {
  const best = new Map<string, SubjectHit>();
  for (const h of hits) {
    const subject = subjectOf(h.id);
    if (subject === undefined) continue;
    const cur = best.get(subject);
    if (!cur || h.score > cur.score || (h.score === cur.score && h.id < cur.templateId)) best.set(subject, { subject, score: h.score, templateId: h.id });
  }
  return [...best.values()]
    .sort((a, b) => b.score - a.score || (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0))
    .slice(0, k);
}

/**
 * The k best subjects for one probe. A subject with many templates can fill a template top-k on its
 * own, so this widens the template search until it has k distinct subjects or has seen every template.
 * Exact for exact matchers: a subject's best template is always ranked above its other templates.
 */
export async function searchSubjects(
  matcher: Matcher,
  query: Float32Array,
  k: number,
  subjectOf: (templateId: string) => string | undefined,
  options?: SearchOptions,
): Promise<SubjectHit[]> {
  checkK(k);
  let want = k * 2;
  for (;;) {
    const hits = await matcher.search(query, Math.min(want, Math.max(1, matcher.size)), options);
    const subjects = bestPerSubject(hits, subjectOf);
    if (subjects.length >= k || hits.length < Math.min(want, matcher.size) || want >= matcher.size) return subjects.slice(0, k);
    want *= 4;
  }
}
