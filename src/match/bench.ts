/**
 * The search benchmark behind `openlfr bench search`: build a synthetic gallery in one matcher,
 * time single-probe searches (the investigator's case: one probe, top 20), and for an approximate
 * matcher measure recall@20 against exact ground truth computed by a separate exact scan.
 *
 * The gallery is generated chunk by chunk from a seed and added to the matcher as it goes, so the
 * process holds the matcher's copy only (rssMB is the matcher's memory plus Node's own ~60 MB).
 * Ground truth regenerates the chunks and scans them with the exact kernel; it is not timed.
 */
import { availableParallelism, loadavg } from 'node:os';
import type { MatchConfig } from '../config.ts';
import { OpenLfrError } from '../errors.ts';
import { createMatcher } from './factory.ts';
import { exactTopK } from './exact.ts';
import type { MatcherImpl } from './port.ts';
import { VectorStore } from './store.ts';
import { CHUNK_ROWS, galleryChunkInto, galleryRowsOf, syntheticId, syntheticProbes, type SyntheticDistribution } from './synthetic.ts';

export interface SearchBenchOptions {
  size: number;
  dims: number;
  impl: MatcherImpl;
  /** Timed single-probe searches (half mated, half not). */
  probes: number;
  k: number;
  seed: number;
  distribution: SyntheticDistribution;
  match: MatchConfig;
  /** Progress messages (stderr in the CLI). */
  log?: (msg: string) => void;
}

export interface SearchBenchResult {
  size: number;
  dims: number;
  impl: MatcherImpl;
  distribution: SyntheticDistribution;
  k: number;
  probes: number;
  msPerSearchP50: number;
  msPerSearchP95: number;
  msPerSearchMean: number;
  /** Fraction of the exact top-k found, averaged over probes (approximate matchers only). */
  recallAt20?: number;
  /** Fraction of mated probes whose own template is ranked first (all matchers). */
  matedRank1: number;
  buildSeconds: number;
  generateSeconds: number;
  rssMB: number;
  cores: number;
  threads: number;
  loadAverage1mBefore: number;
  loadAverage1mAfter: number;
  hnsw?: { connectivity: number; expansionAdd: number; expansionSearch: number; quantization: string; addThreads: number };
  node: string;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export async function runSearchBench(o: SearchBenchOptions): Promise<SearchBenchResult> {
  if (!Number.isInteger(o.size) || o.size < 1) throw new OpenLfrError('MATCH_BAD_ARGUMENT', `--size must be a positive integer, got ${o.size}`);
  if (!Number.isInteger(o.dims) || o.dims < 2) throw new OpenLfrError('MATCH_BAD_ARGUMENT', `--dims must be an integer of at least 2, got ${o.dims}`);
  if (!Number.isInteger(o.probes) || o.probes < 2) throw new OpenLfrError('MATCH_BAD_ARGUMENT', `--probes must be an integer of at least 2, got ${o.probes}`);
  const log = o.log ?? (() => {});
  const loadBefore = loadavg()[0]!;
  // probes first: mated ones are noisy copies of gallery rows, regenerated from their chunks, and the
  // chunks are garbage long before the memory is measured
  const { probes, matedRow } = syntheticProbes(o.seed, o.probes, o.dims, o.size, galleryRowsOf(o.seed, o.size, o.dims, o.distribution), o.distribution);
  const probe = (p: number) => probes.subarray(p * o.dims, (p + 1) * o.dims);
  const matcher = createMatcher(o.dims, { ...o.match, impl: o.impl }, { initialCapacity: o.size });
  const chunks = Math.ceil(o.size / CHUNK_ROWS);
  let generateMs = 0;
  let buildMs = 0;
  // one reused chunk buffer, so the process holds the matcher's copy and little else
  const chunkBuf = new Float32Array(CHUNK_ROWS * o.dims);
  try {
    for (let c = 0; c < chunks; c++) {
      let t = performance.now();
      const rows = galleryChunkInto(chunkBuf, o.seed, c, o.size, o.dims, o.distribution);
      const n = rows.length / o.dims;
      const ids = Array.from({ length: n }, (_, i) => syntheticId(c * CHUNK_ROWS + i));
      generateMs += performance.now() - t;
      t = performance.now();
      await matcher.add(ids, rows);
      buildMs += performance.now() - t;
      if (c % 8 === 7 || c === chunks - 1) log(`built ${matcher.size}/${o.size} templates (${(buildMs / 1000).toFixed(1)} s in the index)`);
    }

    for (let w = 0; w < Math.min(5, o.probes); w++) await matcher.search(probe(w), o.k); // warm-up (JIT, caches)
    const times: number[] = [];
    const results: string[][] = [];
    let matedFirst = 0;
    let mated = 0;
    for (let p = 0; p < o.probes; p++) {
      const t = performance.now();
      const hits = await matcher.search(probe(p), o.k);
      times.push(performance.now() - t);
      results.push(hits.map((h) => h.id));
      if (matedRow[p]! >= 0) {
        mated++;
        if (hits[0]?.id === syntheticId(matedRow[p]!)) matedFirst++;
      }
    }
    const rssMB = process.memoryUsage().rss / 2 ** 20;
    log(`timed ${o.probes} searches`);

    let recallAt20: number | undefined;
    if (matcher.approximate) recallAt20 = await groundTruthRecall(o, probes, results, log);

    times.sort((a, b) => a - b);
    const hnsw =
      o.impl === 'usearch-hnsw'
        ? { connectivity: o.match.hnswConnectivity, expansionAdd: o.match.hnswExpansionAdd, expansionSearch: o.match.hnswExpansionSearch, quantization: o.match.hnswQuantization, addThreads: o.match.hnswAddThreads }
        : undefined;
    return {
      size: o.size,
      dims: o.dims,
      impl: o.impl,
      distribution: o.distribution,
      k: o.k,
      probes: o.probes,
      msPerSearchP50: round(quantile(times, 0.5)),
      msPerSearchP95: round(quantile(times, 0.95)),
      msPerSearchMean: round(times.reduce((a, b) => a + b, 0) / times.length),
      ...(recallAt20 === undefined ? {} : { recallAt20: round(recallAt20, 4) }),
      matedRank1: round(matedFirst / Math.max(1, mated), 4),
      buildSeconds: round(buildMs / 1000, 2),
      generateSeconds: round(generateMs / 1000, 2),
      rssMB: Math.round(rssMB),
      cores: availableParallelism(),
      threads: o.impl === 'exact' ? 1 : o.match.threads,
      loadAverage1mBefore: round(loadBefore, 2),
      loadAverage1mAfter: round(loadavg()[0]!, 2),
      ...(hnsw ? { hnsw } : {}),
      node: process.version,
    };
  } finally {
    await matcher.close();
  }
}

/**
 * recall@k of `results` against exact top-k, computed by scanning the regenerated gallery chunk by
 * chunk with the exact kernel and merging per-probe top-k lists.
 */
async function groundTruthRecall(o: SearchBenchOptions, probes: Float32Array, results: string[][], log: (m: string) => void): Promise<number> {
  const chunks = Math.ceil(o.size / CHUNK_ROWS);
  let best: { id: string; score: number }[][] = Array.from({ length: o.probes }, () => []);
  const chunkBuf = new Float32Array(CHUNK_ROWS * o.dims);
  const store = new VectorStore(o.dims, CHUNK_ROWS);
  for (let c = 0; c < chunks; c++) {
    const rows = galleryChunkInto(chunkBuf, o.seed, c, o.size, o.dims, o.distribution);
    const n = rows.length / o.dims;
    store.clear();
    store.add(Array.from({ length: n }, (_, i) => syntheticId(c * CHUNK_ROWS + i)), rows);
    const part = exactTopK(store, probes, o.probes, o.k, undefined);
    best = best.map((b, p) => [...b, ...part[p]!].sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1)).slice(0, o.k));
    if (c % 8 === 7 || c === chunks - 1) log(`ground truth: ${Math.min(o.size, (c + 1) * CHUNK_ROWS)}/${o.size} scanned`);
  }
  store.close();
  let found = 0;
  let wanted = 0;
  best.forEach((truth, p) => {
    const got = new Set(results[p]);
    wanted += truth.length;
    found += truth.filter((h) => got.has(h.id)).length;
  });
  return found / Math.max(1, wanted);
}
