/**
 * The Human engine adapter on real faces (medium tier: loads the real models, ~10 s).
 * Photos come from the shared datasets (OPENLFR_DATASETS), never from the repository.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.ts';
import { isOpenLfrError } from '../../src/errors.ts';
import { CHIP_SIZE, EMBED_DIMS, createLocalEngine } from '../../src/engine/human/human-engine.ts';
import { loadHumanRuntime } from '../../src/engine/human/runtime.ts';
import { similarity, type Face, type FaceEngine, type RgbImage } from '../../src/engine/port.ts';

const config = loadConfig();
const data = (...p: string[]) => join(config.datasets, ...p);

async function decode(file: string, flip = false): Promise<RgbImage> {
  let s = sharp(file).rotate().removeAlpha().toColourspace('srgb');
  if (flip) s = s.flop();
  const { data: buf, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.length) };
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

function rejectsWith(code: string): (err: unknown) => boolean {
  return (err) => isOpenLfrError(err) && err.code === code;
}

function assertPlausible(face: Face, image: RgbImage): void {
  const { box, quality: q, landmarks5, chip, score } = face;
  assert.ok(score > 0 && score <= 1, `score ${score}`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= image.width && box.y + box.height <= image.height, 'box inside the image');
  for (const [x, y] of landmarks5) {
    assert.ok(x >= box.x - 2 && x <= box.x + box.width + 2 && y >= box.y - 2 && y <= box.y + box.height + 2, 'landmark inside the box');
  }
  const [le, re, nose, lm, rm] = landmarks5;
  assert.ok(le[0] < re[0] && lm[0] < rm[0], 'left points are on the image left');
  assert.ok(nose[1] > (le[1] + re[1]) / 2 && (lm[1] + rm[1]) / 2 > nose[1], 'eyes above nose above mouth');
  assert.ok(Math.abs(q.interEyePx - Math.hypot(re[0] - le[0], re[1] - le[1])) < 1e-6);
  assert.ok(q.interEyePx > 0.2 * box.width && q.interEyePx < 0.7 * box.width, `inter-eye ${q.interEyePx} vs box ${box.width}`);
  assert.ok(Math.abs(q.yawDeg) < 30 && Math.abs(q.pitchDeg) < 30 && Math.abs(q.rollDeg) < 20, `pose ${JSON.stringify(q)}`);
  assert.ok(q.sharpness > 50, `sharpness ${q.sharpness}`);
  assert.ok(q.brightness > 30 && q.brightness < 230, `brightness ${q.brightness}`);
  assert.equal(chip.width, CHIP_SIZE);
  assert.equal(chip.height, CHIP_SIZE);
  assert.equal(chip.data.length, CHIP_SIZE * CHIP_SIZE * 3);
}

describe('Human engine adapter', () => {
  let engine: FaceEngine;
  before(async () => {
    engine = await createLocalEngine(config.engine);
  });
  after(async () => {
    await engine?.close();
  });

  it('has an id naming the model content hashes', () => {
    assert.match(engine.id, /^human:detector=[0-9a-f]{12},landmarks=[0-9a-f]{12},embedder=[0-9a-f]{12},pipeline=[0-9a-f]{12}$/);
    assert.equal(engine.info.name, 'human');
    assert.equal(engine.info.dims, EMBED_DIMS);
    assert.ok(engine.info.models.every((m) => /^[0-9a-f]{64}$/.test(m.sha256)));
  });

  for (const ref of ['lin-manuel-miranda.png', 'alex-lacamoire.png']) {
    it(`finds exactly one plausible face in the Hamilton reference ${ref}, with a unit-length 1024-d embedding`, async () => {
      const image = await decode(data('hamilton', ref));
      const found = await engine.analyse(image);
      assert.equal(found.length, 1);
      assertPlausible(found[0]!.face, image);
      const e = found[0]!.embedding;
      assert.ok(e instanceof Float32Array && e.length === EMBED_DIMS);
      assert.ok(Math.abs(norm(e) - 1) < 1e-4);
    });
  }

  it('detect + embed gives the embedding analyse gives, and results do not leak between calls', async () => {
    const a = await decode(data('hamilton', 'lin-manuel-miranda.png'));
    const b = await decode(data('hamilton', 'alex-lacamoire.png'));
    const first = (await engine.analyse(a))[0]!;
    await engine.analyse(b); // another face in between: no frame cache may carry it over
    const [face] = await engine.detect(a);
    const again = await engine.embed(face!);
    assert.ok(similarity(first.embedding, again) > 0.9999, 'same image, same embedding');
    assert.deepEqual(face!.box, first.face.box);
  });

  it('mirrors landmarks, yaw and roll when the image is mirrored (left/right and sign conventions)', async () => {
    const file = data('bbt', 'identities', 'amy', 'amy1.png'); // turned a little: |yaw| > 10 degrees
    const plain = (await engine.detect(await decode(file)))[0]!;
    const image = await decode(file, true);
    const flipped = (await engine.detect(image))[0]!;
    assert.ok(Math.abs(plain.quality.yawDeg) > 10);
    assert.ok(Math.sign(plain.quality.yawDeg) === -Math.sign(flipped.quality.yawDeg), 'yaw changes sign');
    assert.ok(Math.abs(plain.quality.rollDeg + flipped.quality.rollDeg) < 3, 'roll changes sign');
    const [le, re] = flipped.landmarks5;
    assert.ok(Math.abs(image.width - le[0] - plain.landmarks5[1][0]) < 4, 'flipped left eye = mirrored right eye');
    assert.ok(Math.abs(image.width - re[0] - plain.landmarks5[0][0]) < 4, 'flipped right eye = mirrored left eye');
  });

  it('identifies bbt people: same-person scores above different-person scores, rank-1 >= 90%', async () => {
    const root = data('bbt', 'identities');
    const people = readdirSync(root).sort();
    const gallery = new Map<string, Float32Array[]>();
    for (const person of people) {
      const list: Float32Array[] = [];
      for (const f of readdirSync(join(root, person)).sort()) {
        const found = await engine.analyse(await decode(join(root, person, f)));
        assert.ok(found.length >= 1, `${person}/${f}: a face`);
        list.push(found[0]!.embedding); // largest face first
      }
      gallery.set(person, list);
    }
    let right = 0;
    let searches = 0;
    const mated: number[] = [];
    const nonMated: number[] = [];
    for (const person of people) {
      for (const probe of gallery.get(person)!.slice(1)) {
        const ranked = people.map((p) => ({ p, s: similarity(gallery.get(p)![0]!, probe) })).sort((x, y) => y.s - x.s);
        searches++;
        if (ranked[0]!.p === person) right++;
        for (const r of ranked) (r.p === person ? mated : nonMated).push(r.s);
      }
    }
    const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.equal(searches, 32);
    assert.ok(right / searches >= 0.9, `rank-1 ${right}/${searches}`);
    assert.ok(avg(mated) > avg(nonMated) + 0.15, `mean mated ${avg(mated)} vs non-mated ${avg(nonMated)}`);
  });

  it('finds both people in two_people.jpg and honours maxFaces and minInterEyePx', async () => {
    const image = await decode(data('hamilton', 'two_people.jpg'));
    const all = await engine.detect(image);
    assert.equal(all.length, 2);
    assert.ok(all[0]!.box.width * all[0]!.box.height >= all[1]!.box.width * all[1]!.box.height, 'largest first');
    assert.equal((await engine.detect(image, { maxFaces: 1 })).length, 1);
    const minEye = Math.max(...all.map((f) => f.quality.interEyePx)) + 1;
    assert.equal((await engine.detect(image, { minInterEyePx: minEye })).length, 0);
  });

  it('returns no face for a blank image and leaks no tensors', async () => {
    const tf = new (loadHumanRuntime().Human)().tf;
    const blank: RgbImage = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(127) };
    const photo = await decode(data('hamilton', 'two_people.jpg'));
    await engine.analyse(photo);
    const tensors = tf.memory().numTensors;
    assert.deepEqual(await engine.analyse(blank), []);
    await engine.analyse(photo);
    assert.equal(tf.memory().numTensors, tensors);
  });

  it('refuses bad input with typed errors', async () => {
    await assert.rejects(engine.detect({ width: 1, height: 1, data: new Uint8Array(3) }), rejectsWith('IMAGE_TOO_SMALL'));
    await assert.rejects(engine.detect({ width: 100, height: 100, data: new Uint8Array(10) }), rejectsWith('BAD_REQUEST'));
    await assert.rejects(engine.analyse({ width: 0, height: 100, data: new Uint8Array(0) }), rejectsWith('BAD_REQUEST'));
    const [face] = await engine.detect(await decode(data('hamilton', 'alex-lacamoire.png')));
    await assert.rejects(engine.embed({ ...face!, engineId: 'onnx:other' }), rejectsWith('ENGINE_FACE_FOREIGN'));
    await assert.rejects(engine.embed({ ...face!, chip: { width: 112, height: 112, data: new Uint8Array(112 * 112 * 3) } }), rejectsWith('BAD_REQUEST'));
  });

  it('can run several instances in one thread; a closed one refuses work', async () => {
    const second = await createLocalEngine(config.engine);
    assert.equal(second.id, engine.id);
    const image = await decode(data('hamilton', 'alex-lacamoire.png'));
    const a = (await second.analyse(image))[0]!;
    await second.close();
    await assert.rejects(second.analyse(image), rejectsWith('ENGINE_CLOSED'));
    const b = (await engine.analyse(image))[0]!; // the first instance still works
    assert.ok(similarity(a.embedding, b.embedding) > 0.9999);
  });

  it('refuses a models folder without the models', async () => {
    await assert.rejects(createLocalEngine({ ...config.engine, humanModelsDir: '/nonexistent' }), rejectsWith('ENGINE_MODEL_MISSING'));
  });
});
