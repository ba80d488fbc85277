/**
 * The in-memory template matrix shared by the exact matchers: row i of `data` (dims floats) is the
 * template with id `ids[i]`. Rows are dense (removal moves the last row into the hole), so a scan is
 * one pass over one contiguous Float32Array. Capacity grows by doubling.
 *
 * Biometric data: memory only. Removed and freed rows are zeroed, not left behind in the buffer.
 */
import { OpenLfrError } from '../errors.ts';
import { checkIds, flattenChecked, type Probes } from './port.ts';

export class VectorStore {
  readonly dims: number;
  private buf: Float32Array;
  private rowIds: string[] = [];
  private slotOf = new Map<string, number>();
  private closed = false;

  constructor(dims: number, initialCapacity = 1024) {
    if (!Number.isInteger(dims) || dims < 1 || dims > 65_536) {
      throw new OpenLfrError('MATCH_BAD_ARGUMENT', `dims must be an integer from 1 to 65536, got ${dims}`);
    }
    this.dims = dims;
    this.buf = new Float32Array(Math.max(1, initialCapacity) * dims);
  }

  get size(): number {
    return this.rowIds.length;
  }

  /** The live rows: size * dims floats (a view, not a copy). */
  get data(): Float32Array {
    this.assertOpen();
    return this.buf.subarray(0, this.rowIds.length * this.dims);
  }

  /** The id of row i. */
  idAt(i: number): string {
    return this.rowIds[i]!;
  }

  get ids(): readonly string[] {
    return this.rowIds;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  rowOf(id: string): number | undefined {
    return this.slotOf.get(id);
  }

  assertOpen(): void {
    if (this.closed) throw new OpenLfrError('MATCH_CLOSED', 'the matcher has been closed');
  }

  /** Validate everything, then append. Returns the row index of the first added template. */
  add(ids: readonly string[], vectors: Probes): number {
    this.assertOpen();
    checkIds(ids, (id) => this.slotOf.has(id));
    const flat = flattenChecked(vectors, ids.length, this.dims, 'template');
    const first = this.rowIds.length;
    this.reserve(first + ids.length);
    this.buf.set(flat, first * this.dims);
    ids.forEach((id, i) => {
      this.slotOf.set(id, first + i);
      this.rowIds.push(id);
    });
    return first;
  }

  /**
   * Remove ids (unknown ones ignored). Each removed row is overwritten by the last row.
   * `onMove(from, to)` is told about every such move (for indexes keyed by row).
   */
  remove(ids: readonly string[], onMove?: (from: number, to: number) => void): number {
    this.assertOpen();
    let removed = 0;
    const d = this.dims;
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      const last = this.rowIds.length - 1;
      if (slot !== last) {
        this.buf.copyWithin(slot * d, last * d, (last + 1) * d);
        const movedId = this.rowIds[last]!;
        this.rowIds[slot] = movedId;
        this.slotOf.set(movedId, slot);
        onMove?.(last, slot);
      }
      this.buf.fill(0, last * d, (last + 1) * d);
      this.rowIds.pop();
      this.slotOf.delete(id);
      removed++;
    }
    return removed;
  }

  /** Remove every template (rows zeroed), keeping the capacity. */
  clear(): void {
    this.assertOpen();
    this.buf.fill(0, 0, this.rowIds.length * this.dims);
    this.rowIds = [];
    this.slotOf.clear();
  }

  close(): void {
    if (this.closed) return;
    this.buf.fill(0);
    this.buf = new Float32Array(0);
    this.rowIds = [];
    this.slotOf.clear();
    this.closed = true;
  }

  private reserve(rows: number): void {
    const capRows = this.buf.length / this.dims;
    if (rows <= capRows) return;
    let next = Math.max(capRows, 1);
    while (next < rows) next *= 2;
    const grown = new Float32Array(next * this.dims);
    grown.set(this.buf.subarray(0, this.rowIds.length * this.dims));
    this.buf.fill(0);
    this.buf = grown;
  }
}
