/**
 * What is particular to the Human engine adapter (the shared behaviour is in
 * test/contract/engine.contract.ts): the chip geometry, the left/right conventions under mirroring,
 * frame-filling faces, tensor hygiene, several instances per thread, a missing models folder.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { isOpenLfrError } from '../../src/errors.ts';
import { flipHorizontal, similarityTransform } from '../../src/engine/imgproc.ts';
import { CHIP_SIZE, CHIP_TEMPLATE, EMBED_DIMS, createLocalEngine } from '../../src/engine/human/human-engine.ts';
import { loadHumanRuntime } from '../../src/engine/human/runtime.ts';
import { similarity, type FaceEngine, type RgbImage } from '../../src/engine/port.ts';
import { readImageFile } from '../../src/ingest/image.ts';
import { ds } from '../helpers/datasets.ts';

const config = { ...loadConfig().engine, name: 'human' as const };
const rejectsWith = (code: string) => (err: unknown) => isOpenLfrError(err) && err.code === code;

describe('Human engine adapter', () => {
  let engine: FaceEngine;
  before(async () => {
    engine = await createLocalEngine(config);
  });
  after(async () => {
    await engine?.close();
  });

  it('names its three models and its pre-processing in the id', () => {
    assert.match(engine.id, /^human@1:detector=[0-9a-f]{12},landmarks=[0-9a-f]{12},embedder=[0-9a-f]{12},pipeline=[0-9a-f]{12}$/);
    assert.equal(engine.info.dims, EMBED_DIMS);
  });

  it('cuts an upright 192x192 chip with the five points on the template, even when the head is rolled', async () => {
    const image = await readImageFile(ds('hamilton', 'two_people.jpg'));
    const faces = await engine.detect(image);
    const rolled = faces.find((f) => Math.abs(f.quality.rollDeg) > 8);
    assert.ok(rolled, `a face with visible roll (${faces.map((f) => f.quality.rollDeg.toFixed(1)).join(', ')})`);
    for (const f of faces) {
      assert.equal(f.chip.width, CHIP_SIZE);
      assert.equal(f.chip.height, CHIP_SIZE);
      assert.equal(f.chip.data.length, CHIP_SIZE * CHIP_SIZE * 3);
      // The similarity used for the chip takes the eyes close to the template's, on one horizontal line.
      const [a, b, tx, c, d, ty] = similarityTransform(f.landmarks5, CHIP_TEMPLATE);
      const eyes = [f.landmarks5[0], f.landmarks5[1]].map(([x, y]) => [a * x + b * y + tx, c * x + d * y + ty]);
      const tilt = (Math.atan2(eyes[1]![1]! - eyes[0]![1]!, eyes[1]![0]! - eyes[0]![0]!) * 180) / Math.PI;
      assert.ok(Math.abs(tilt) < 4, `eye line within 4 degrees of level in the chip (roll ${f.quality.rollDeg} in the photo): ${tilt}`);
      assert.ok(Math.abs(eyes[0]![0]! - CHIP_TEMPLATE[0]![0]) < 6 && Math.abs(eyes[1]![0]! - CHIP_TEMPLATE[1]![0]) < 6);
    }
  });

  it('mirrors landmarks, roll and yaw when the image is mirrored', async () => {
    const image = await readImageFile(ds('bbt', 'identities', 'amy', 'amy1.png')); // head turned: |yaw| > 10
    const plain = (await engine.detect(image))[0]!;
    const mirrored = flipHorizontal(image);
    const flipped = (await engine.detect(mirrored))[0]!;
    assert.ok(Math.abs(plain.quality.yawDeg) > 10, `yaw ${plain.quality.yawDeg}`);
    assert.equal(Math.sign(plain.quality.yawDeg), -Math.sign(flipped.quality.yawDeg));
    assert.ok(Math.abs(plain.quality.rollDeg + flipped.quality.rollDeg) < 3, 'roll changes sign');
    const [le, re] = flipped.landmarks5;
    assert.ok(Math.abs(mirrored.width - le[0] - plain.landmarks5[1][0]) < 4, 'mirrored left eye = right eye');
    assert.ok(Math.abs(mirrored.width - re[0] - plain.landmarks5[0][0]) < 4, 'mirrored right eye = left eye');
  });

  it('finds a face that fills the whole frame (BlazeFace alone misses it)', async () => {
    const image = await readImageFile(ds('bbt', 'identities', 'leonard', 'leonard5.png'));
    const faces = await engine.detect(image);
    assert.equal(faces.length, 1);
    const { box, landmarks5 } = faces[0]!;
    assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= image.width && box.y + box.height <= image.height);
    for (const [x, y] of landmarks5) assert.ok(x > 0 && x < image.width && y > 0 && y < image.height);
  });

  it('leaks no tensors, with and without faces', async () => {
    const tf = new (loadHumanRuntime().Human)().tf;
    const blank: RgbImage = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(127) };
    const photo = await readImageFile(ds('hamilton', 'two_people.jpg'));
    await engine.analyse(photo);
    const tensors = tf.memory().numTensors;
    assert.deepEqual(await engine.analyse(blank), []);
    assert.equal((await engine.analyse(photo)).length, 2);
    assert.equal(tf.memory().numTensors, tensors);
  });

  it('refuses a chip of the wrong size', async () => {
    const [face] = await engine.detect(await readImageFile(ds('hamilton', 'alex-lacamoire.png')));
    await assert.rejects(engine.embed({ ...face!, chip: { width: 112, height: 112, data: new Uint8Array(112 * 112 * 3) } }), rejectsWith('BAD_REQUEST'));
  });

  it('runs several instances in one thread; closing one leaves the others working', async () => {
    const second = await createLocalEngine(config);
    assert.equal(second.id, engine.id);
    const image = await readImageFile(ds('hamilton', 'alex-lacamoire.png'));
    const a = (await second.analyse(image))[0]!;
    await second.close();
    const b = (await engine.analyse(image))[0]!;
    assert.ok(similarity(a.embedding, b.embedding) > 0.9999);
  });

  it('refuses a models folder without the models, naming the file', async () => {
    await assert.rejects(createLocalEngine({ ...config, humanModelsDir: '/nonexistent' }), (e: unknown) => rejectsWith('ENGINE_MODEL_MISSING')(e) && /blazeface\.json/.test((e as Error).message));
  });
});
