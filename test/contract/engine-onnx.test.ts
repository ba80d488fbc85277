import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { OnnxEngine, plausibleAlignment } from '../../src/engine/onnx/onnx-engine.ts';
import type { Point, RgbImage } from '../../src/engine/port.ts';
import { degradeImage } from '../../src/evaluate/degrade.ts';
import { EnginePool } from '../../src/engine/pool.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { readImageFile } from '../../src/ingest/image.ts';
import { ds } from '../helpers/datasets.ts';
import { runEngineContract } from './engine.contract.ts';

const config = loadConfig().engine;

runEngineContract('onnx (in-process)', () => OnnxEngine.create(config), { minBbtRank1: 0.9, minScaleCosine: 0.85 });
runEngineContract('onnx (worker pool, 2 workers)', () => EnginePool.start({ ...config, name: 'onnx' }, 2), { minBbtRank1: 0.9, minScaleCosine: 0.85 });
runEngineContract('onnx fused with dlib, w = 0.5 (worker pool, 2 workers)', () => EnginePool.start({ ...config, name: 'onnx', onnxFuseDlib: 0.5 }, 2), { minBbtRank1: 0.9, minScaleCosine: 0.85 });

/** Faces counted by eye in each photo (every clearly visible face, including small background ones). */
const BY_EYE: Array<[string, number]> = [
  ['group-photos/solvay1927.jpg', 29],
  ['group-photos/stock-group-1.jpg', 15],
  ['group-photos/group-1.jpg', 16],
  ['group-photos/group-5.jpg', 7],
  ['group-photos/group-4.jpg', 5],
  ['group-photos/group-7.jpg', 4],
  ['group-photos/stock-group-2.jpg', 4],
  ['bbt/group_photos/bbt3.jpg', 5],
  ['hamilton/two_people.jpg', 2],
  ['group-photos/couple.jpg', 2],
];

test('onnx: detection in group photos matches faces counted by eye (small faces through the pyramid)', async () => {
  const engine = await OnnxEngine.create(config);
  const single = await OnnxEngine.create({ ...config, detectorGrid: 1 });
  try {
    let found = 0;
    let foundSingle = 0;
    let total = 0;
    for (const [file, expected] of BY_EYE) {
      const img = await readImageFile(ds(...file.split('/')));
      const n = (await engine.detect(img)).length;
      foundSingle += (await single.detect(img)).length;
      assert.ok(n <= expected, `${file}: ${n} faces detected but only ${expected} are there (a false detection)`);
      found += n;
      total += expected;
    }
    assert.equal((await engine.detect(await readImageFile(ds('group-photos', 'solvay1927.jpg')))).length, 29);
    assert.ok(found / total >= 0.95, `recall ${found}/${total}`);
    assert.ok(found > foundSingle, `pyramid ${found} vs whole-frame only ${foundSingle}`);
  } finally {
    await Promise.all([engine.close(), single.close()]);
  }
});

test('pool: a worker that dies fails only its own request and is replaced', async () => {
  const pool = await EnginePool.start(config, 2);
  try {
    const img = await readImageFile(ds('hamilton', 'two_people.jpg'));
    pool.crashOneWorkerForTest();
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => pool.analyse(img)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.ok(ok.length >= 5, `${ok.length}/6 succeeded`);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as OpenLfrError).code, 'ENGINE_WORKER_FAILED');
    assert.equal((await pool.analyse(img)).length, 2);
  } finally {
    await pool.close();
  }
});

test('onnx: a missing model file is a clear ENGINE_MODEL_MISSING error naming the file', async () => {
  await assert.rejects(OnnxEngine.create({ ...config, onnxEmbedder: 'nope.onnx' }), (e: unknown) => e instanceof OpenLfrError && e.code === 'ENGINE_MODEL_MISSING' && /nope\.onnx/.test(e.message));
  await assert.rejects(EnginePool.start({ ...config, onnxDetector: 'nope.onnx' }, 1), (e: unknown) => e instanceof OpenLfrError && e.code === 'ENGINE_MODEL_MISSING');
});

test('onnx: a file that is not an ONNX model is refused', async () => {
  await assert.rejects(OnnxEngine.create({ ...config, onnxModelsDir: ds('hamilton'), onnxDetector: 'obama.jpg' }), (e: unknown) => e instanceof OpenLfrError && e.code === 'ENGINE_MODEL_MISSING');
});

test('onnx: the flip (test-time augmentation) variant has its own engine id', async () => {
  const a = await OnnxEngine.create(config);
  const b = await OnnxEngine.create(config, { flip: true });
  assert.notEqual(a.id, b.id);
  assert.match(b.id, /^onnx\+flip@/);
  await Promise.all([a.close(), b.close()]);
});

test('onnx fused with dlib: the template is [sqrt(1-w) onnx, sqrt(w) dlib], so its cosine is the weighted sum of both scores', async () => {
  const plain = await OnnxEngine.create(config);
  const fused = await OnnxEngine.create(config, { fuseDlib: 0.3 });
  try {
    assert.match(fused.id, /^onnx\+dlib0\.3@3:det=[0-9a-f]{12},lmk=[0-9a-f]{12},emb=[0-9a-f]{12},dlib=[0-9a-f]{12}$/);
    assert.equal(fused.info.dims, 640);
    const a = await readImageFile(ds('hamilton', 'obama.jpg'));
    const b = await readImageFile(ds('hamilton', 'obama2.jpg'));
    const c = await readImageFile(ds('hamilton', 'biden.jpg'));
    const one = async (e: OnnxEngine, img: typeof a) => (await e.analyse(img, { maxFaces: 1 }))[0]!.embedding;
    const [pa, pb, pc] = [await one(plain, a), await one(plain, b), await one(plain, c)];
    const [fa, fb, fc] = [await one(fused, a), await one(fused, b), await one(fused, c)];
    const dot = (x: Float32Array, y: Float32Array, from = 0, to = x.length) => {
      let s = 0;
      for (let i = from; i < to; i++) s += x[i]! * y[i]!;
      return s;
    };
    for (const [f, p] of [[fa, pa], [fb, pb], [fc, pc]] as const) {
      assert.ok(Math.abs(dot(f, f) - 1) < 1e-5, 'unit length');
      for (let i = 0; i < 512; i++) assert.ok(Math.abs(f[i]! / Math.sqrt(0.7) - p[i]!) < 1e-5, 'the ONNX part is the plain ONNX template, scaled');
      assert.ok(Math.abs(dot(f, f, 512) - 0.3) < 1e-5, 'the dlib part carries weight 0.3');
    }
    const dlibScore = (x: Float32Array, y: Float32Array) => dot(x, y, 512) / 0.3;
    assert.ok(Math.abs(dot(fa, fb) - (0.7 * dot(pa, pb) + 0.3 * dlibScore(fa, fb))) < 1e-5);
    assert.ok(dlibScore(fa, fb) > dlibScore(fa, fc), 'dlib alone also ranks Obama above Biden for an Obama photo');
    assert.ok(dot(fa, fb) > dot(fa, fc));
  } finally {
    await Promise.all([plain.close(), fused.close()]);
  }
});

test('onnx: analyse gives the embedder\'s raw output length (a quality signal), also through the worker pool', async () => {
  const pool = await EnginePool.start(config, 1);
  try {
    const [a] = await pool.analyse(await readImageFile(ds('hamilton', 'obama.jpg')));
    assert.ok(a!.embeddingNorm! > 1 && a!.embeddingNorm! < 100, String(a!.embeddingNorm));
    let len = 0;
    for (const x of a!.embedding) len += x * x;
    assert.ok(Math.abs(len - 1) < 1e-5, 'the template itself stays unit length');
  } finally {
    await pool.close();
  }
});

test('onnx second pass: dark, blurred, 16 px CCTV-like crops the first pass misses are found; face-free crops stay empty', async () => {
  const withPass = await OnnxEngine.create(config);
  const without = await OnnxEngine.create(config, { secondPass: false });
  try {
    assert.match(without.id, /^onnx\+nosecondpass@/, 'the measuring variant has its own id');
    const root = ds('lfw-devtrain');
    const people = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().filter((_, i) => i % 67 === 3).slice(0, 24);
    let before = 0;
    let after = 0;
    for (const p of people) {
      const img = await readImageFile(join(root, p, readdirSync(join(root, p)).sort()[0]!));
      const [c] = await withPass.analyse(img, { maxFaces: 1 });
      assert.ok(c, `${p}: a face in the clean photo`);
      const bad = await degradeImage(img, { interEyePx: 16, motionPx: 5, exposureStops: -4, jpegQuality: 20 }, c.face.quality.interEyePx);
      const first = await without.detect(bad);
      const both = await withPass.detect(bad);
      if (first.length) before++;
      if (both.length) {
        after++;
        // what it finds is the face: near the middle of the crop, eyes about as far apart as they were made
        const f = both[0]!;
        const mx = (f.landmarks5[0][0] + f.landmarks5[1][0]) / 2;
        assert.ok(Math.abs(mx - bad.width / 2) < 0.25 * bad.width, `${p}: eyes at x ${mx.toFixed(0)} of ${bad.width}`);
        assert.ok(f.quality.interEyePx > 8 && f.quality.interEyePx < 32, `${p}: inter-eye ${f.quality.interEyePx.toFixed(1)}`);
      }
      if (first.length) assert.equal(both.length, first.length, `${p}: the second pass runs only when the first finds nothing`);
    }
    // measured: 12 of 24 with the first pass alone, 19 with the second
    assert.ok(after >= before + 4, `found ${before} -> ${after} of ${people.length}`);
    // face-free crops (shirts, a suit, a wall, plain grey and noise), darkened and compressed the same way: still nothing
    const group = await readImageFile(ds('group-photos', 'group-1.jpg'));
    const crops: RgbImage[] = [];
    for (const [fx, fy] of [[0.1, 0.85], [0.5, 0.9], [0.85, 0.88]] as const) {
      const side = Math.round(group.height * 0.12);
      const left = Math.round(fx * group.width - side / 2);
      const top = Math.min(group.height - side, Math.round(fy * group.height - side / 2));
      const { data, info } = await sharp(group.data, { raw: { width: group.width, height: group.height, channels: 3 } }).extract({ left, top, width: side, height: side }).resize(96, 96).raw().toBuffer({ resolveWithObject: true });
      crops.push({ width: info.width, height: info.height, data: new Uint8Array(data) });
    }
    let seed = 7;
    const noise = new Uint8Array(96 * 96 * 3).map(() => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), 60 + (seed % 80)));
    crops.push({ width: 96, height: 96, data: noise }, { width: 96, height: 96, data: new Uint8Array(96 * 96 * 3).fill(90) });
    for (const [i, crop] of crops.entries()) {
      const dark = await degradeImage(crop, { motionPx: 5, exposureStops: -4, jpegQuality: 20 }, null);
      assert.deepEqual(await withPass.detect(dark), [], `face-free crop ${i}`);
    }
  } finally {
    await withPass.close();
    await without.close();
  }
});

test('landmark sanity check: a face-shaped alignment passes; swapped, squeezed, tilted or stray points are refused', () => {
  const box = { x1: 0, y1: 0, x2: 100, y2: 120 };
  const face: Point[] = [[30, 45], [70, 45], [50, 70], [35, 90], [65, 90]];
  assert.equal(plausibleAlignment(face, box), true);
  const tilted = (deg: number): Point[] => {
    const a = (deg * Math.PI) / 180;
    return face.map(([x, y]) => [50 + (x - 50) * Math.cos(a) - (y - 60) * Math.sin(a), 60 + (x - 50) * Math.sin(a) + (y - 60) * Math.cos(a)] as Point);
  };
  assert.equal(plausibleAlignment(tilted(25), box), true, 'a head tilted 25 degrees is a face');
  assert.equal(plausibleAlignment(tilted(50), box), false, '50 degrees off level');
  assert.equal(plausibleAlignment(tilted(180), box), false, 'upside down: the eyes below the mouth');
  assert.equal(plausibleAlignment([[45, 45], [55, 45], [50, 70], [35, 90], [65, 90]], box), false, 'eyes 10% of the box apart');
  assert.equal(plausibleAlignment([[30, 45], [70, 45], [50, 47], [35, 90], [65, 90]], box), false, 'the nose on the eye line');
  assert.equal(plausibleAlignment([[30, 45], [70, 45], [50, 70], [35, 60], [65, 90]], box), false, 'a mouth corner above the nose');
  assert.equal(plausibleAlignment([[30, 45], [70, 45], [50, 70], [35, 90], [65, 200]], box), false, 'a point far outside the box');
});
