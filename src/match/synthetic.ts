/**
 * Seeded synthetic templates for benchmarks and tests (no faces involved, nothing biometric).
 *
 * Two distributions, both L2-normalised:
 *  - `isotropic`: Gaussian in all dims directions equally. Two unrelated templates then score
 *    ~N(0, 1/dims) (sd 0.044 at 512-d): the hardest case for a graph index, every point nearly equidistant.
 *  - `face-like` (default): Gaussian with variance 1/(1 + j/8) along axis j, an effective dimension
 *    (participation ratio) of ~137 at 512-d, so unrelated templates score with sd ~0.085, close to what
 *    ArcFace-style face embedders show between different people. (Axis-aligned for speed: dot products
 *    and nearest neighbours do not change under a rotation, so this is as good as a rotated covariance.)
 * A mated probe of template v is normalise(v + u) for a fresh draw u: it scores ~0.7 with v.
 *
 * Every chunk of rows is generated from (seed, chunk index) alone, so a benchmark can regenerate any
 * chunk to compute ground truth without keeping a second copy of a large gallery.
 */

export type SyntheticDistribution = 'isotropic' | 'face-like';

/** mulberry32: a small, fast, seeded 32-bit PRNG (statistically fine for benchmark data). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function axisScales(dims: number, distribution: SyntheticDistribution): Float64Array {
  const s = new Float64Array(dims);
  for (let j = 0; j < dims; j++) s[j] = distribution === 'isotropic' ? 1 : 1 / Math.sqrt(1 + j / 8);
  return s;
}

/** Fill `out` (rows * dims) with normalised draws from `distribution`, using `rand`. */
export function fillTemplates(out: Float32Array, dims: number, rand: () => number, distribution: SyntheticDistribution = 'face-like'): void {
  const scale = axisScales(dims, distribution);
  const rows = out.length / dims;
  const v = new Float64Array(dims);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let j = 0; j < dims; j += 2) {
      // Box-Muller: two standard normals from two uniforms
      const u1 = 1 - rand();
      const u2 = rand();
      const rad = Math.sqrt(-2 * Math.log(u1));
      const a = rad * Math.cos(2 * Math.PI * u2) * scale[j]!;
      v[j] = a;
      sq += a * a;
      if (j + 1 < dims) {
        const b = rad * Math.sin(2 * Math.PI * u2) * scale[j + 1]!;
        v[j + 1] = b;
        sq += b * b;
      }
    }
    const inv = 1 / Math.sqrt(sq);
    for (let j = 0; j < dims; j++) out[r * dims + j] = v[j]! * inv;
  }
}

/** Rows per independently seeded chunk. */
export const CHUNK_ROWS = 16_384;

/** Chunk c of a synthetic gallery (CHUNK_ROWS rows, fewer for the last chunk of `size`). */
export function galleryChunk(seed: number, c: number, size: number, dims: number, distribution: SyntheticDistribution = 'face-like'): Float32Array {
  const rows = Math.max(0, Math.min(CHUNK_ROWS, size - c * CHUNK_ROWS));
  return galleryChunkInto(new Float32Array(rows * dims), seed, c, size, dims, distribution);
}

/** galleryChunk written into `buf` (at least CHUNK_ROWS * dims long); returns the filled view. */
export function galleryChunkInto(buf: Float32Array, seed: number, c: number, size: number, dims: number, distribution: SyntheticDistribution = 'face-like'): Float32Array {
  const rows = Math.max(0, Math.min(CHUNK_ROWS, size - c * CHUNK_ROWS));
  const out = buf.subarray(0, rows * dims);
  fillTemplates(out, dims, prng((seed * 1_000_003 + c) >>> 0), distribution);
  return out;
}

/** Template id of gallery row `row` (the benchmark's naming). */
export const syntheticId = (row: number): string => `t${row}`;

/**
 * Probes for a synthetic gallery: every second one is a mated probe of a random gallery row (returned
 * in `matedRow`, -1 for non-mated). `galleryRows(rows)` returns those gallery rows (one call, so a
 * caller that regenerates chunks can do each chunk once).
 */
export function syntheticProbes(
  seed: number,
  count: number,
  dims: number,
  size: number,
  galleryRows: (rows: readonly number[]) => Float32Array[],
  distribution: SyntheticDistribution = 'face-like',
): { probes: Float32Array; matedRow: Int32Array } {
  const rand = prng((seed ^ 0x5eed) >>> 0);
  const probes = new Float32Array(count * dims);
  fillTemplates(probes, dims, rand, distribution);
  const matedRow = new Int32Array(count).fill(-1);
  const picks: number[] = [];
  for (let p = 0; p < count && size > 0; p += 2) {
    matedRow[p] = Math.floor(rand() * size);
    picks.push(matedRow[p]!);
  }
  const rows = galleryRows(picks);
  for (let p = 0, i = 0; p < count && size > 0; p += 2, i++) {
    const g = rows[i]!;
    let sq = 0;
    for (let j = 0; j < dims; j++) {
      const x = probes[p * dims + j]! + g[j]!;
      probes[p * dims + j] = x;
      sq += x * x;
    }
    const inv = 1 / Math.sqrt(sq);
    for (let j = 0; j < dims; j++) probes[p * dims + j] = probes[p * dims + j]! * inv;
  }
  return { probes, matedRow };
}

/** Rows of a synthetic gallery, regenerating each chunk needed once. */
export function galleryRowsOf(seed: number, size: number, dims: number, distribution: SyntheticDistribution = 'face-like'): (rows: readonly number[]) => Float32Array[] {
  return (rows) => {
    const chunks = new Map<number, Float32Array>();
    return rows.map((row) => {
      const c = Math.floor(row / CHUNK_ROWS);
      let chunk = chunks.get(c);
      if (!chunk) chunks.set(c, (chunk = galleryChunk(seed, c, size, dims, distribution)));
      const r = row - c * CHUNK_ROWS;
      return chunk.slice(r * dims, (r + 1) * dims);
    });
  };
}
