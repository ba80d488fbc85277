/**
 * LFW pairs verification benchmark, for any engine:
 *
 *   node --import tsx bench/pairs.ts --engine human [--workers 2] [--limit 400]
 *
 * The engine runs in the shared worker pool (`createEngine`, one worker per core by default).
 * Reads `<datasets>/lfw-devtrain/pairsDevTrain.txt` (1,100 mated + 1,100 non-mated pairs), runs
 * `analyse` once per distinct image, takes the face nearest the image centre (LFW images are
 * centred on the subject), scores each pair by cosine similarity and prints one JSON object:
 *   engine (full id with model hashes), pairs, accuracy (10-fold: threshold chosen on 9 folds,
 *   measured on the 10th, mean over folds), accuracyStd, bestThresholdAccuracy (one threshold chosen
 *   on all pairs: optimistic), tarAtFar1e3, noFaceImages (counted as rejections), ms (wall clock),
 *   msPerImage. `--limit N` keeps the first N/2 mated and N/2 non-mated pairs (quick runs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { OpenLfrError, serialiseError } from '../src/errors.ts';
import { createEngine, similarity, type AnalysedFace, type RgbImage } from '../src/engine/index.ts';
import { readImageFile } from '../src/ingest/image.ts';
import { bestThreshold, tarAtFar, tenFoldAccuracy, type ScoredPair } from './verification.ts';

interface Pair {
  mated: boolean;
  a: string;
  b: string;
}

const imagePath = (name: string, n: string) => join(name, `${name}_${n.padStart(4, '0')}.jpg`);

function parsePairs(text: string): Pair[] {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(1).map((line) => {
    const f = line.split(/\s+/);
    if (f.length === 3) return { mated: true, a: imagePath(f[0]!, f[1]!), b: imagePath(f[0]!, f[2]!) };
    if (f.length === 4) return { mated: false, a: imagePath(f[0]!, f[1]!), b: imagePath(f[2]!, f[3]!) };
    throw new OpenLfrError('BAD_REQUEST', `Unreadable pairs line: ${line}`);
  });
}

function nearestCentre(faces: AnalysedFace[], image: RgbImage): AnalysedFace | undefined {
  const d = (f: AnalysedFace) => Math.hypot(f.face.box.x + f.face.box.width / 2 - image.width / 2, f.face.box.y + f.face.box.height / 2 - image.height / 2);
  return [...faces].sort((x, y) => d(x) - d(y))[0];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { engine: { type: 'string' }, limit: { type: 'string' }, workers: { type: 'string' } },
  });
  const config = loadConfig({ engine: { ...(values.engine ? { name: values.engine } : {}), ...(values.workers ? { workers: values.workers } : {}) } });
  const root = join(config.datasets, 'lfw-devtrain');
  let pairs = parsePairs(readFileSync(join(root, 'pairsDevTrain.txt'), 'utf8'));
  if (values.limit) {
    const half = Math.floor(Number(values.limit) / 2);
    pairs = [...pairs.filter((p) => p.mated).slice(0, half), ...pairs.filter((p) => !p.mated).slice(0, half)];
  }
  const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const engine = await createEngine(config.engine);
  const embeddings = new Map<string, Float32Array | null>();
  const started = performance.now();
  try {
    let next = 0;
    const worker = async () => {
      while (next < images.length) {
        const rel = images[next++]!;
        const image = await readImageFile(join(root, rel));
        const face = nearestCentre(await engine.analyse(image), image);
        embeddings.set(rel, face ? face.embedding : null);
      }
    };
    // Two requests in flight per worker keep every worker busy while the next image decodes.
    await Promise.all(Array.from({ length: 2 * config.engine.workers }, worker));
  } finally {
    await engine.close();
  }
  const ms = performance.now() - started;
  const scored: ScoredPair[] = pairs.map((p) => {
    const a = embeddings.get(p.a);
    const b = embeddings.get(p.b);
    return { mated: p.mated, score: a && b ? similarity(a, b) : -Infinity };
  });
  const tenFold = tenFoldAccuracy(scored);
  const best = bestThreshold(scored);
  const tar = tarAtFar(scored, 1e-3);
  const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
  console.log(
    JSON.stringify({
      engine: engine.id,
      workers: config.engine.workers,
      pairs: pairs.length,
      accuracy: round(tenFold.accuracy),
      accuracyStd: round(tenFold.std),
      accuracyProtocol: '10-fold (threshold from 9 folds, accuracy on the 10th, mean)',
      bestThresholdAccuracy: round(best.accuracy),
      bestThreshold: round(best.threshold),
      tarAtFar1e3: round(tar.tar),
      thresholdAtFar1e3: round(tar.threshold),
      images: images.length,
      noFaceImages: [...embeddings.values()].filter((e) => e === null).length,
      ms: Math.round(ms),
      msPerImage: round(ms / images.length, 1),
    }),
  );
}

main().catch((err) => {
  console.error(JSON.stringify({ error: serialiseError(err) }));
  process.exitCode = 1;
});
