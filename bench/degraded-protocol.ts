/**
 * The degraded protocol (issue 15): probes made to look like surveillance-camera crops from the shared
 * LFW data, and what the engine still finds and identifies. Watchlist entries stay as they are (one frontal
 * photo per person, as a custody image); only the searches are degraded (`src/evaluate/degrade.ts`):
 * downscaled to 40, 24 and 16 px between the eyes, horizontal motion blur, JPEG quality 20, underexposure,
 * and all of them together. Prints one JSON object: per condition, the sample, FTA, rank-1, TPIR at FPIR 1e-2
 * at the clean run's threshold (what a deployment calibrated on good photos would see) and at the
 * condition's own FPIR 1e-2 threshold.
 *
 *   node --import tsx bench/degraded-protocol.ts [--fraction 0.08] [--per-person 4] [--seed degraded] [--workers 2] [--engine onnx|human] [--only <condition text>]
 *
 * The sample is a deterministic split by identity of lfw-devtrain (`--fraction` of the people, the first
 * `--per-person` photos of each); mated searches are also searched without their own entry (--mated-as-nonmated), so FPIR 1e-2 is
 * supported by a few hundred non-mated searches. Nothing is written: templates stay in memory.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/index.ts';
import { decodeImage } from '../src/ingest/image.ts';
import { MemoryTemplateCache, type TemplateCache } from '../src/evaluate/cache.ts';
import { MemoryCalibrationSink } from '../src/evaluate/calibration.ts';
import { degradeTransform, subjectInterEye, type Degradation } from '../src/evaluate/degrade.ts';
import { runEvaluation, type EvaluateDeps } from '../src/evaluate/service.ts';
import { identitySplit } from '../src/evaluate/split.ts';
import { scanIdentityTree } from '../src/evaluate/dataset.ts';
import type { SearchRecord } from '../src/evaluate/run.ts';

const { values } = parseArgs({ options: { fraction: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' }, engine: { type: 'string' }, 'per-person': { type: 'string' }, only: { type: 'string' } } });
const config = loadConfig({ engine: { ...(values.engine ? { name: values.engine } : {}), ...(values.workers ? { workers: values.workers } : {}) } });
const fraction = Number(values.fraction ?? 0.08);
const seed = values.seed ?? 'degraded';
const perPerson = Number(values['per-person'] ?? 4);
const dataset = join(config.datasets, 'lfw-devtrain');

const CONDITIONS: Array<{ name: string; d: Degradation | null }> = [
  { name: 'clean', d: null },
  { name: '40 px between the eyes', d: { interEyePx: 40 } },
  { name: '24 px', d: { interEyePx: 24 } },
  { name: '16 px', d: { interEyePx: 16 } },
  { name: '40 px + motion blur 7 px', d: { interEyePx: 40, motionPx: 7 } },
  { name: '40 px + JPEG q20', d: { interEyePx: 40, jpegQuality: 20 } },
  { name: '40 px + underexposed 3 stops', d: { interEyePx: 40, exposureStops: -3 } },
  { name: 'all: 24 px + motion 5 px + 2 stops under + JPEG q20', d: { interEyePx: 24, motionPx: 5, exposureStops: -2, jpegQuality: 20 } },
  { name: 'hard: 16 px + motion 5 px + 4 stops under + JPEG q20', d: { interEyePx: 16, motionPx: 5, exposureStops: -4, jpegQuality: 20 } },
];

const engine = await createEngine(config.engine);
const caches = new Map<string, TemplateCache>();
const deps: EvaluateDeps = {
  engine,
  decode: (bytes) => decodeImage(bytes, { maxPixels: config.engine.maxImagePixels, maxBytes: config.engine.maxImageBytes }),
  openCache: async (_id, _dims, variant) => {
    let c = caches.get(variant);
    if (!c) caches.set(variant, (c = new MemoryTemplateCache()));
    return c;
  },
  calibrationSink: new MemoryCalibrationSink(),
  clock: () => new Date(),
  concurrency: 2 * config.engine.workers,
};
const includeIdentity = identitySplit({ part: 'test', seed, testFraction: fraction });
// at most `perPerson` photos of each person (in file order): LFW's few people with hundreds of photos would
// otherwise make most of the searches
const onlyKeys = new Set<string>();
const taken = new Map<string, number>();
for (const im of await scanIdentityTree(dataset)) {
  if (!includeIdentity(im.identity)) continue;
  const n = taken.get(im.identity) ?? 0;
  if (n < perPerson) onlyKeys.add(im.key);
  taken.set(im.identity, n + 1);
}

/** TPIR at a fixed threshold from the search records: the own entry scores at least t and above everyone else. */
function tpirAt(searches: SearchRecord[], t: number): number {
  const mated = searches.filter((s) => s.mated);
  return mated.filter((s) => s.mateScore !== null && s.mateScore >= t && s.top1 === s.identity).length / mated.length;
}

const started = Date.now();
const rows = [];
let cleanThreshold: number | null = null;
try {
  // --only <text>: the clean run (for its threshold and the inter-eye distances) and the conditions named so
  for (const c of CONDITIONS.filter((x) => x.d === null || !values.only || x.name.includes(values.only))) {
    const transform = c.d
      ? degradeTransform(c.d, subjectInterEye(engine, (sha256) => caches.get('')?.get(sha256)?.interEyePx))
      : undefined;
    const t0 = Date.now();
    const out = await runEvaluation({ dataset, includeIdentity, onlyKeys, transform, options: { matedAsNonMated: true, fpirPoints: [1e-2], fpirTarget: 1e-2 } }, deps);
    const r = out.result;
    const op = r.operatingPoints[0]!;
    if (c.d === null) cleanThreshold = op.threshold;
    const mated = r.searches.filter((s) => s.mated);
    const pct = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 10);
    rows.push({
      condition: c.name,
      degradation: c.d,
      identities: r.identities,
      watchlist: r.watchlistSize,
      matedSearches: r.matedSearches,
      nonMatedSearches: r.nonMatedSearches,
      ftaMatedPct: pct(mated.filter((s) => s.fta).length / mated.length),
      rank1Pct: pct(mated.filter((s) => s.top1 === s.identity).length / mated.length),
      tpirAtCleanThresholdPct: cleanThreshold === null ? null : pct(tpirAt(r.searches, cleanThreshold)),
      ownThreshold: op.threshold === null ? null : Math.round(op.threshold * 1000) / 1000,
      tpirAtOwnFpir1e2Pct: pct(op.tpir),
      ownFpirSupported: op.supported,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
    });
    console.error(JSON.stringify(rows[rows.length - 1]));
  }
} finally {
  await engine.close();
}
console.log(
  JSON.stringify(
    {
      engine: engine.id,
      dataset: 'lfw-devtrain',
      sample: { fraction, seed, perPerson, note: 'a split by identity, at most perPerson photos each; watchlist = the first photo of each person with two or more; searches degraded, watchlist not' },
      cleanThresholdAtFpir1e2: cleanThreshold,
      seconds: Math.round((Date.now() - started) / 1000),
      conditions: rows,
    },
    null,
    2,
  ),
);
