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

runEngineContract('onnx (in-process)', () => OnnxEngine.create(config), { minBbtRank1: 0.9 });
runEngineContract('onnx (worker pool, 2 workers)', () => EnginePool.start({ ...config, name: 'onnx' }, 2), { minBbtRank1: 0.9 });

test('pool: a worker that dies fails only its own request and is replaced', async () => {
  const pool = await EnginePool.start(config, 2);
  try {
    const img = await readImageFile(ds('hamilton', 'two_people.jpg'));
    await pool.crashOneWorkerForTest();
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
  assert.match(b.id, /^onnx\+flip:/);
  await Promise.all([a.close(), b.close()]);
});
