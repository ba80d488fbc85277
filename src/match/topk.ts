/**
 * A bounded min-heap keeping the k best (row, score) pairs seen so far, in the port's order
 * (higher score first; on equal scores the smaller id wins). The root is the worst kept entry, so a
 * candidate is compared with one number (`floor`) in the hot loop and the heap is touched only when
 * it gets in.
 */
import type { SearchHit } from './port.ts';

export class TopK {
  private readonly rows: Int32Array;
  private readonly scores: Float64Array;
  private n = 0;
  /** A candidate with a score below this cannot get in. */
  floor: number;

  constructor(
    readonly k: number,
    private readonly idOf: (row: number) => string,
    minScore = -Infinity,
  ) {
    this.rows = new Int32Array(k);
    this.scores = new Float64Array(k);
    this.floor = minScore;
  }

  get count(): number {
    return this.n;
  }

  /** Offer one candidate; call only when score >= floor. */
  push(row: number, score: number): void {
    if (this.n < this.k) {
      this.rows[this.n] = row;
      this.scores[this.n] = score;
      this.siftUp(this.n++);
      if (this.n === this.k) this.floor = Math.max(this.floor, this.scores[0]!);
      return;
    }
    // full: replace the root if the candidate is better than it
    if (!this.worse(this.rows[0]!, this.scores[0]!, row, score)) return;
    this.rows[0] = row;
    this.scores[0] = score;
    this.siftDown(0);
    this.floor = this.scores[0]!;
  }

  /** The kept entries, best first. */
  result(): SearchHit[] {
    const out: SearchHit[] = [];
    for (let i = 0; i < this.n; i++) out.push({ id: this.idOf(this.rows[i]!), score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** True when (ra, sa) ranks below (rb, sb). */
  private worse(ra: number, sa: number, rb: number, sb: number): boolean {
    if (sa !== sb) return sa < sb;
    return this.idOf(ra) > this.idOf(rb);
  }

  private siftUp(i: number): void {
    const { rows, scores } = this;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(rows[i]!, scores[i]!, rows[p]!, scores[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private siftDown(i: number): void {
    const { rows, scores, n } = this;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.worse(rows[l]!, scores[l]!, rows[m]!, scores[m]!)) m = l;
      if (r < n && this.worse(rows[r]!, scores[r]!, rows[m]!, scores[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const r = this.rows[a]!;
    const s = this.scores[a]!;
    this.rows[a] = this.rows[b]!;
    this.scores[a] = this.scores[b]!;
    this.rows[b] = r;
    this.scores[b] = s;
  }
}
