/**
 * The skeleton shared by every matcher that keeps its templates in a VectorStore (all of them today):
 * validation, the empty index, closing, and the port's cut to k and minScore. An implementation
 * supplies `topK` only: ranked hits for a flat array of already-checked probes.
 */
import { checkK, checkProbe, flattenChecked, probeCount, type Matcher, type MatcherImpl, type Probes, type SearchHit, type SearchOptions } from './port.ts';
import { VectorStore } from './store.ts';

export abstract class StoreMatcher implements Matcher {
  abstract readonly impl: MatcherImpl;
  abstract readonly approximate: boolean;
  protected readonly store: VectorStore;

  constructor(dims: number, initialCapacity?: number) {
    this.store = new VectorStore(dims, initialCapacity);
  }

  get dims(): number {
    return this.store.dims;
  }

  get size(): number {
    return this.store.size;
  }

  has(id: string): boolean {
    return this.store.has(id);
  }

  async add(ids: readonly string[], vectors: Probes): Promise<void> {
    this.store.add(ids, vectors);
  }

  async remove(ids: readonly string[]): Promise<number> {
    return this.store.remove(ids);
  }

  /**
   * Ranked hits for each of `count` probes in `flat` (the index is not empty). May return more than k
   * or hits below minScore: the caller cuts.
   */
  protected abstract topK(flat: Float32Array, count: number, k: number, minScore: number | undefined): SearchHit[][];

  async search(query: Float32Array, k: number, options?: SearchOptions): Promise<SearchHit[]> {
    this.store.assertOpen();
    checkK(k);
    checkProbe(query, this.dims);
    if (this.size === 0) return [];
    return cut(this.topK(query, 1, k, options?.minScore)[0]!, k, options?.minScore);
  }

  async searchBatch(queries: Probes, k: number, options?: SearchOptions): Promise<SearchHit[][]> {
    this.store.assertOpen();
    checkK(k);
    const count = probeCount(queries, this.dims);
    const flat = flattenChecked(queries, count, this.dims, 'probe');
    if (this.size === 0) return Array.from({ length: count }, () => []);
    return this.topK(flat, count, k, options?.minScore).map((hits) => cut(hits, k, options?.minScore));
  }

  async close(): Promise<void> {
    this.store.close();
  }
}

function cut(hits: SearchHit[], k: number, minScore: number | undefined): SearchHit[] {
  const top = hits.length > k ? hits.slice(0, k) : hits;
  return minScore === undefined ? top : top.filter((h) => h.score >= minScore);
}
