/**
 * Scale invariance (issue 15): every face of the chosen shared datasets, seen at 0.25x to 6x of a
 * 100 px inter-eye native view and as a 1350 x 1350 studio portrait (`src/bench/scaled-views.ts`), compared
 * with its native template. Prints one JSON object: per view, the number of faces, how many were found
 * (one face within a quarter inter-eye of where it was put), the min / 5th percentile / median cosine to the
 * native template, decision agreement (the view's nearest native template among all faces is its own, and
 * its cosine to the native is above `--threshold`), and the worst faces.
 *
 *   node --import tsx bench/scale-invariance.ts [--engine onnx|human] [--sets hamilton,bbt,deepface,lfw]
 *     [--lfw-limit 60] [--threshold 0.4] [--workers 2]
 *
 * Faces: hamilton (the two references and obama, obama2, biden), bbt/identities, deepface-identities (many
 * high-resolution photos) and the first `--lfw-limit` people of lfw-devtrain (one photo each); in each photo
 * the largest face. CPU heavy (a 6x view is 2,400 px wide): keep the sets small on a shared machine.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { createEngine, similarity } from '../src/engine/index.ts';
import type { Point } from '../src/engine/port.ts';
import { readImageFile } from '../src/ingest/image.ts';
import { scaledViews, NATIVE_EYE_PX } from '../src/bench/scaled-views.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string' },
    sets: { type: 'string' },
    'lfw-limit': { type: 'string' },
    threshold: { type: 'string' },
    workers: { type: 'string' },
  },
});
const config = loadConfig({ engine: { ...(values.engine ? { name: values.engine } : {}), ...(values.workers ? { workers: values.workers } : {}) } });
const sets = (values.sets ?? 'hamilton,bbt,deepface,lfw').split(',');
const lfwLimit = Number(values['lfw-limit'] ?? 60);
const threshold = Number(values.threshold ?? 0.4);
const D = config.datasets;
const images = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => join(dir, f));

const files: Array<{ who: string; file: string }> = [];
if (sets.includes('hamilton'))
  for (const f of ['lin-manuel-miranda.png', 'alex-lacamoire.png', 'obama.jpg', 'obama2.jpg', 'biden.jpg'])
    files.push({ who: f.startsWith('obama') ? 'obama' : f, file: join(D, 'hamilton', f) });
for (const [set, dir] of [
  ['bbt', join(D, 'bbt', 'identities')],
  ['deepface', join(D, 'deepface-identities')],
] as const) {
  if (!sets.includes(set)) continue;
  for (const person of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort())
    for (const file of images(join(dir, person))) files.push({ who: `${set}/${person}`, file });
}
if (sets.includes('lfw')) {
  const root = join(D, 'lfw-devtrain');
  const people = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const p of people.slice(0, lfwLimit)) files.push({ who: `lfw/${p}`, file: images(join(root, p))[0]! });
}

const engine = await createEngine(config.engine);
const started = Date.now();
type Row = { file: string; who: string; native: Float32Array; views: Map<string, { found: boolean; v?: Float32Array }> };
const rows: Row[] = [];
let noFace = 0;
try {
  for (const { file, who } of files) {
    const img = await readImageFile(file);
    const faces = await engine.detect(img, { maxFaces: 1 });
    const f = faces[0];
    if (!f) {
      noFace++;
      continue;
    }
    const eyes: [Point, Point] = [f.landmarks5[0], f.landmarks5[1]];
    const { native, views } = await scaledViews(img, eyes);
    const [n] = await engine.analyse(native.image, { maxFaces: 1 });
    if (!n) {
      noFace++;
      continue;
    }
    const row: Row = { file: file.slice(D.length + 1), who, native: n.embedding, views: new Map() };
    for (const view of views) {
      const all = await engine.analyse(view.image);
      // the face put in the view: eyes near the view's centre line, inter-eye near the one asked for
      const cx = view.image.width / 2;
      const hit = all.find((a) => {
        const l = a.face.landmarks5;
        const mx = (l[0][0] + l[1][0]) / 2;
        return Math.abs(mx - cx) < 0.25 * view.eyePx * 2 && a.face.quality.interEyePx > 0.5 * view.eyePx;
      });
      row.views.set(view.label, hit ? { found: true, v: hit.embedding } : { found: false });
    }
    rows.push(row);
  }
} finally {
  await engine.close();
}

const labels = rows[0] ? [...rows[0].views.keys()] : [];
const q = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : NaN);
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const perView = labels.map((label) => {
  const cos: number[] = [];
  let found = 0;
  let agree = 0;
  const worst: Array<{ file: string; cosine: number | null }> = [];
  for (const row of rows) {
    const v = row.views.get(label)!;
    if (!v.found || !v.v) {
      worst.push({ file: row.file, cosine: null });
      continue;
    }
    found++;
    const c = similarity(v.v, row.native);
    cos.push(c);
    worst.push({ file: row.file, cosine: r3(c) });
    // decision: the nearest native template among all people's is this person's, and above the threshold
    let best = -2;
    let bestWho = '';
    for (const other of rows) {
      const s = similarity(v.v, other.native);
      if (s > best) [best, bestWho] = [s, other.who];
    }
    if (bestWho === row.who && c >= threshold) agree++;
  }
  worst.sort((a, b) => (a.cosine ?? -2) - (b.cosine ?? -2));
  return {
    view: label,
    faces: rows.length,
    found,
    minCosine: r3(Math.min(...cos)),
    p05Cosine: r3(q(cos, 0.05)),
    medianCosine: r3(q(cos, 0.5)),
    decisionAgreement: r3(agree / rows.length),
    worst: worst.slice(0, 3),
  };
});
console.log(
  JSON.stringify(
    { engine: engine.id, nativeInterEyePx: NATIVE_EYE_PX, threshold, images: files.length, faces: rows.length, noFaceInSource: noFace, seconds: Math.round((Date.now() - started) / 1000), perView },
    null,
    2,
  ),
);
