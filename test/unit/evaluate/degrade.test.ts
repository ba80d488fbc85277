import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readImageFile } from '../../../src/ingest/image.ts';
import { degradeImage, degradeTransform, degradationId } from '../../../src/evaluate/degrade.ts';
import { isOpenLfrError } from '../../../src/errors.ts';
import { ds } from '../../helpers/datasets.ts';

const face = join(ds('lfw-devtrain'), 'Aaron_Eckhart', 'Aaron_Eckhart_0001.jpg');

test('degrade: downscales to the asked inter-eye distance, never upscales, blur and JPEG change pixels', async () => {
  const im = await readImageFile(face);
  const half = await degradeImage(im, { interEyePx: 20 }, 40);
  assert.equal(half.width, Math.round(im.width / 2));
  assert.equal(half.height, Math.round(im.height / 2));
  assert.equal(half.data.length, half.width * half.height * 3);
  const same = await degradeImage(im, { interEyePx: 50 }, 40);
  assert.equal(same.width, im.width, 'a face already smaller than the target is left at its size');
  const blurred = await degradeImage(im, { blurSigma: 2, jpegQuality: 20 }, null);
  assert.equal(blurred.width, im.width);
  let diff = 0;
  for (let i = 0; i < im.data.length; i++) diff += Math.abs(im.data[i]! - blurred.data[i]!);
  assert.ok(diff / im.data.length > 2, `mean absolute change ${diff / im.data.length}`);
  assert.equal(degradationId({ interEyePx: 20, blurSigma: 1, jpegQuality: 40 }), 'degrade:eye20,blur1,jpeg40');
});

test('degrade: a transform for searches only, asking the undegraded inter-eye distance; bad settings refused', async () => {
  const im = await readImageFile(face);
  const asked: string[] = [];
  const t = degradeTransform({ interEyePx: 10 }, async ({ sha256 }) => {
    asked.push(sha256);
    return 40;
  });
  assert.equal(t.searchesOnly, true);
  const out = await t.apply(im, { sha256: 'abc' });
  assert.equal(out.width, Math.round(im.width / 4));
  assert.deepEqual(asked, ['abc']);
  for (const bad of [{}, { interEyePx: 2 }, { jpegQuality: 0 }, { jpegQuality: 50.5 }, { blurSigma: -1 }])
    assert.throws(() => degradeTransform(bad, async () => 1), (e) => isOpenLfrError(e) && e.code === 'BAD_REQUEST');
});

test('degrade: a canvas puts the small image in the centre of a grey camera-sized frame', async () => {
  const im = await readImageFile(face);
  const out = await degradeImage(im, { interEyePx: 20, canvas: [640, 360] }, 40);
  assert.equal(out.width, 640);
  assert.equal(out.height, 360);
  assert.deepEqual([...out.data.subarray(0, 3)], [128, 128, 128], 'the corner is background');
  assert.throws(() => degradeTransform({ interEyePx: 20, canvas: [8, 8] }, async () => 1), (e) => isOpenLfrError(e) && e.code === 'BAD_REQUEST');
});

test('degrade: motion blur smears along the rows only; underexposure darkens by the stops asked; ids and limits', async () => {
  const im = await readImageFile(face);
  // stripes across the motion are smeared flat; stripes along it are left as they are
  const stripes = (vertical: boolean) => {
    const w = 64;
    const data = new Uint8Array(w * w * 3);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data.fill((vertical ? x : y) % 2 ? 200 : 40, (y * w + x) * 3, (y * w + x) * 3 + 3);
    return { width: w, height: w, data };
  };
  const spread = (img: { data: Uint8Array; width: number }) => {
    let lo = 255;
    let hi = 0;
    for (let y = 16; y < 48; y++) for (let x = 16; x < 48; x++) {
      const v = img.data[(y * img.width + x) * 3]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return hi - lo;
  };
  const across = await degradeImage(stripes(true), { motionPx: 9 }, null);
  const along = await degradeImage(stripes(false), { motionPx: 9 }, null);
  assert.ok(spread(across) <= 20, `columns 40/200 smeared over 9 px: spread ${spread(across)}`);
  assert.equal(spread(along), 160, 'rows untouched');
  const moved = await degradeImage(im, { motionPx: 9 }, null);
  assert.equal(moved.width, im.width);
  const dark = await degradeImage(im, { exposureStops: -3 }, null);
  const mean = (img: typeof im) => img.data.reduce((s, v) => s + v, 0) / img.data.length;
  const ratio = mean(dark) / mean(im);
  assert.ok(Math.abs(ratio - 2 ** (-3 / 2.2)) < 0.02, `brightness ratio ${ratio}`);
  assert.equal(degradationId({ interEyePx: 24, motionPx: 5, exposureStops: -2, jpegQuality: 20 }), 'degrade:eye24,motion5,ev-2,jpeg20');
  for (const bad of [{ motionPx: 2.5 }, { motionPx: 500 }, { exposureStops: 1 }, { exposureStops: -9 }])
    assert.throws(() => degradeTransform(bad, async () => 1), (e) => isOpenLfrError(e) && e.code === 'BAD_REQUEST');
});
