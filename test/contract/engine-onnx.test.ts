import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { OnnxEngine } from '../../src/engine/onnx/onnx-engine.ts';
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
