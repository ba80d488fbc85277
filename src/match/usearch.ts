/**
 * Matchers on usearch (npm `usearch`, Apache-2.0, prebuilt native binary inside the package; its
 * install script is not needed and not run).
 *
 *  - UsearchExactMatcher: the same in-memory matrix as the TypeScript exact matcher, scanned by
 *    usearch's SIMD brute-force kernel on `threads` threads. Exact.
 *  - UsearchHnswMatcher: an HNSW graph (optionally over f16/i8 copies of the vectors) finds candidates;
 *    the candidates are re-scored exactly from the float32 matrix, so every returned score is exact and
 *    only recall is approximate (measured by `openlfr bench search --impl usearch-hnsw`).
 *
 * Both re-score their candidates in double precision from the matrix and rank them in the port's
 * order, so scores and tie order agree with the `exact` matcher.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { OpenLfrError } from '../errors.ts';
import { dotRows } from './exact.ts';
import { compareHits, type Probes, type SearchHit } from './port.ts';
import type { VectorStore } from './store.ts';
import { StoreMatcher } from './store-matcher.ts';

type UsearchModule = typeof import('usearch');

let loaded: UsearchModule | undefined;

/** Load the native module once (CommonJS build: it locates its prebuilt binary from __dirname). */
export function loadUsearch(): UsearchModule {
  if (loaded) return loaded;
  try {
    const require = createRequire(import.meta.url);
    loaded = require('usearch') as UsearchModule;
    return loaded;
  } catch (err) {
    throw new OpenLfrError('MATCH_IMPL_UNAVAILABLE', `usearch could not be loaded: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
}

export interface UsearchOptions {
  /** Threads for the native kernels; defaults to the number of cores. */
  threads?: number;
  initialCapacity?: number;
}

export interface HnswOptions extends UsearchOptions {
  /** Graph degree M (edges per node per layer). */
  connectivity?: number;
  /** Candidate list size while building (efConstruction). */
  expansionAdd?: number;
  /** Candidate list size while searching (ef); raise it for recall, lower for speed. */
  expansionSearch?: number;
  /** Precision of the vectors inside the graph; results are always re-scored from float32. */
  quantization?: 'f32' | 'f16' | 'i8';
  /** Candidates fetched per wanted hit before exact re-scoring (at least 1). */
  oversample?: number;
  /** Threads inserting into the graph (default 1: concurrent insertion made a worse graph, see MatchConfig.hnswAddThreads). */
  addThreads?: number;
}

/**
 * usearch 2.25.3's `exactSearch` binding ignores a typed array's byteOffset (a subarray view is read
 * from the start of its buffer: found by the benchmark, covered by the contract test on views), so
 * arrays handed to it must start at offset 0.
 */
function atOffsetZero(a: Float32Array): Float32Array {
  return a.byteOffset === 0 ? a : a.slice();
}

/** Exact scores of candidate rows, in the port's order. */
function rescore(store: VectorStore, q: Float32Array, qOff: number, rows: readonly number[]): SearchHit[] {
  const scores = new Float64Array(1);
  const hits: SearchHit[] = [];
  for (const row of rows) {
    dotRows(q, qOff, store.data, store.dims, row, row + 1, scores);
    hits.push({ id: store.idAt(row), score: scores[0]! });
  }
  return hits.sort(compareHits);
}

/** Shared part of the two usearch matchers: the native module and the thread count. */
abstract class UsearchBase extends StoreMatcher {
  protected readonly usearch: UsearchModule;
  protected readonly threads: number;

  constructor(dims: number, options: UsearchOptions) {
    super(dims, options.initialCapacity);
    this.usearch = loadUsearch();
    this.threads = options.threads ?? Math.max(1, availableParallelism());
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new OpenLfrError('MATCH_BAD_ARGUMENT', `threads must be a positive integer, got ${this.threads}`);
  }
}

/**
 * Exact search with usearch's native brute-force kernel. The kernel's float32 ranking decides which
 * rows are candidates; candidates are re-scored in double. When the score at rank k is tied (within
 * float32 noise) with the last candidate, more candidates are fetched so ties at the cut are ordered
 * by id exactly like the TypeScript matcher.
 */
export class UsearchExactMatcher extends UsearchBase {
  readonly impl = 'usearch-exact' as const;
  readonly approximate = false;

  constructor(dims: number, options: UsearchOptions = {}) {
    super(dims, options);
  }

  protected topK(flat: Float32Array, count: number, k: number): SearchHit[][] {
    const n = this.size;
    const d = this.dims;
    const fetch = Math.min(n, k + 8);
    const data = atOffsetZero(this.store.data);
    const raw = this.usearch.exactSearch(data, atOffsetZero(flat), d, fetch, this.usearch.MetricKind.IP, this.threads);
    const out: SearchHit[][] = [];
    for (let p = 0; p < count; p++) {
      const m = 'get' in raw ? raw.get(p) : raw;
      let hits = rescore(this.store, flat, p * d, Array.from(m.keys, Number));
      let got = fetch;
      // a tie straddling the cut: widen until the last candidate scores clearly below rank k
      while (got < n && hits.length > k && hits[hits.length - 1]!.score >= hits[k - 1]!.score - 1e-6) {
        got = Math.min(n, got * 4);
        const q = flat.slice(p * d, (p + 1) * d);
        const wider = this.usearch.exactSearch(data, q, d, got, this.usearch.MetricKind.IP, this.threads);
        hits = rescore(this.store, q, 0, Array.from((wider as { keys: BigUint64Array }).keys, Number));
      }
      out.push(hits);
    }
    return out;
  }
}

/**
 * Approximate search with an HNSW graph. Graph keys are stable integers (a template keeps its key when
 * the matrix moves rows on removal); hits are re-scored exactly from the float32 matrix.
 *
 * Identical templates share one graph node. A gallery does hold exact duplicates (the same custody
 * photograph imported under two references, the same image enrolled twice), and an HNSW graph copes
 * badly with points at distance zero from each other: their edges fill up with one another and one of
 * them can become unreachable (CI caught 2 of 4 identical templates missing). One node per distinct
 * vector, expanded to every id holding it when the hits are re-scored, makes duplicates always found
 * together and keeps the graph smaller.
 */
export class UsearchHnswMatcher extends UsearchBase {
  readonly impl = 'usearch-hnsw' as const;
  readonly approximate = true;
  private index: InstanceType<UsearchModule['Index']>;
  private readonly keyOfId = new Map<string, bigint>();
  /** Every id whose template is the vector behind a graph key (one for a template with no duplicate). */
  private readonly idsOfKey = new Map<bigint, string[]>();
  private readonly keyOfDigest = new Map<string, bigint>();
  private readonly digestOfKey = new Map<bigint, string>();
  private nextKey = 0n;
  private readonly oversample: number;
  private readonly addThreads: number;

  constructor(dims: number, options: HnswOptions = {}) {
    super(dims, options);
    this.oversample = Math.max(1, options.oversample ?? 2);
    this.addThreads = options.addThreads ?? 1;
    if (!Number.isInteger(this.addThreads) || this.addThreads < 1) throw new OpenLfrError('MATCH_BAD_ARGUMENT', `addThreads must be a positive integer, got ${this.addThreads}`);
    this.index = new this.usearch.Index({
      dimensions: dims,
      metric: this.usearch.MetricKind.IP,
      quantization: (options.quantization ?? 'f16') as never,
      connectivity: options.connectivity ?? 16,
      expansion_add: options.expansionAdd ?? 128,
      expansion_search: options.expansionSearch ?? 256,
      multi: false,
    });
  }

  /** Number of nodes in the graph (distinct vectors), as against `size` (templates). */
  get graphSize(): number {
    return this.idsOfKey.size;
  }

  override async add(ids: readonly string[], vectors: Probes): Promise<void> {
    const first = this.store.add(ids, vectors);
    const d = this.dims;
    const data = this.store.data;
    const newKeys: bigint[] = [];
    const newRows: number[] = [];
    ids.forEach((id, i) => {
      const row = first + i;
      const bytes = Buffer.from(data.buffer, data.byteOffset + row * d * 4, d * 4);
      const digest = createHash('sha1').update(bytes).digest('base64');
      const shared = this.keyOfDigest.get(digest);
      if (shared !== undefined && this.sameVector(shared, row)) {
        this.idsOfKey.get(shared)!.push(id);
        this.keyOfId.set(id, shared);
        return;
      }
      const key = this.nextKey++;
      this.keyOfId.set(id, key);
      this.idsOfKey.set(key, [id]);
      if (shared === undefined) {
        this.keyOfDigest.set(digest, key);
        this.digestOfKey.set(key, digest);
      }
      newKeys.push(key);
      newRows.push(row);
    });
    if (newKeys.length === 0) return;
    // the rows are contiguous unless duplicates were folded: copy only then
    const contiguous = newRows.length === ids.length;
    const rows = contiguous ? data.subarray(first * d, (first + ids.length) * d) : gatherRows(data, d, newRows);
    try {
      this.insert(BigUint64Array.from(newKeys), rows);
    } catch (err) {
      // keep the matrix and the graph consistent: undo the matrix part
      this.store.remove(ids);
      for (const id of ids) this.forget(id);
      throw new OpenLfrError('INTERNAL', 'the HNSW index refused the templates', undefined, { cause: err });
    }
  }

  /**
   * Insert into the graph with at most `addThreads` insertions at a time. usearch sizes its per-thread
   * search contexts from the `threads` of the last add, so every call passes the search thread count and
   * the vectors go in chunks of `addThreads` (a chunk of one is inserted by one thread).
   */
  private insert(keys: BigUint64Array, rows: Float32Array): void {
    if (this.addThreads >= this.threads) {
      this.index.add(keys, rows, this.threads);
      return;
    }
    const d = this.dims;
    for (let i = 0; i < keys.length; i += this.addThreads) {
      const end = Math.min(keys.length, i + this.addThreads);
      this.index.add(keys.subarray(i, end), rows.subarray(i * d, end * d), this.threads);
    }
  }

  override async remove(ids: readonly string[]): Promise<number> {
    const known = ids.filter((id) => this.keyOfId.has(id));
    const emptied: bigint[] = [];
    for (const id of known) {
      const key = this.forget(id);
      if (key !== undefined && !this.idsOfKey.has(key)) emptied.push(key);
    }
    if (emptied.length > 0) this.index.remove(BigUint64Array.from(emptied));
    return this.store.remove(known);
  }

  override async close(): Promise<void> {
    await super.close();
    this.keyOfId.clear();
    this.idsOfKey.clear();
    this.keyOfDigest.clear();
    this.digestOfKey.clear();
    // drop the native graph (and its vector copies) now rather than at garbage collection
    this.index = new this.usearch.Index({ dimensions: this.dims, metric: this.usearch.MetricKind.IP, quantization: 'f32' as never, connectivity: 2, expansion_add: 0, expansion_search: 0, multi: false });
  }

  protected topK(flat: Float32Array, count: number, k: number): SearchHit[][] {
    const d = this.dims;
    const fetch = Math.min(this.idsOfKey.size, k * this.oversample);
    // a flat array of several probes comes back as BatchMatches (the typings only know the one-probe case)
    const raw = this.index.search(atOffsetZero(flat), fetch, this.threads) as ReturnType<UsearchModule['exactSearch']>;
    const out: SearchHit[][] = [];
    for (let p = 0; p < count; p++) {
      const m = 'get' in raw ? raw.get(p) : raw;
      const rows: number[] = [];
      for (const key of m.keys) {
        for (const id of this.idsOfKey.get(key) ?? []) {
          const row = this.store.rowOf(id);
          if (row !== undefined) rows.push(row);
        }
      }
      out.push(rescore(this.store, flat, p * d, rows));
    }
    return out;
  }

  /** True when the template at `row` is bit-identical to the vector behind `key`. */
  private sameVector(key: bigint, row: number): boolean {
    const other = this.store.rowOf(this.idsOfKey.get(key)![0]!);
    if (other === undefined) return false;
    const d = this.dims;
    const data = this.store.data;
    for (let j = 0; j < d; j++) if (!Object.is(data[row * d + j], data[other * d + j])) return false;
    return true;
  }

  /** Drop an id's key mapping; returns the key, which is gone from `idsOfKey` once no id holds it. */
  private forget(id: string): bigint | undefined {
    const key = this.keyOfId.get(id);
    if (key === undefined) return undefined;
    this.keyOfId.delete(id);
    const holders = this.idsOfKey.get(key)!.filter((other) => other !== id);
    if (holders.length > 0) {
      this.idsOfKey.set(key, holders);
      return key;
    }
    this.idsOfKey.delete(key);
    const digest = this.digestOfKey.get(key);
    if (digest !== undefined) {
      this.keyOfDigest.delete(digest);
      this.digestOfKey.delete(key);
    }
    return key;
  }
}

function gatherRows(data: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(data.subarray(r * d, (r + 1) * d), i * d));
  return out;
}
