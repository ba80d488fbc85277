import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipHorizontal, greyStats, resizeRgb, similarityTransform, warpAffine, type Affine } from '../../src/engine/imgproc.ts';
import { ARCFACE_TEMPLATE, to5 } from '../../src/engine/onnx/onnx-engine.ts';
import type { Point } from '../../src/engine/port.ts';
import { faceQuality } from '../../src/engine/quality.ts';

const apply = (m: Affine, [x, y]: Point): Point => [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];

test('similarityTransform recovers a known rotation, scale and translation exactly', () => {
  const angle = 0.3;
  const s = 1.7;
  const truth: Affine = [s * Math.cos(angle), -s * Math.sin(angle), 12, s * Math.sin(angle), s * Math.cos(angle), -5];
  const src: Point[] = [
    [10, 20],
    [50, 18],
    [30, 40],
    [15, 60],
    [45, 61],
  ];
  const m = similarityTransform(src, src.map((p) => apply(truth, p)));
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(m[i]! - truth[i]!) < 1e-9, `m[${i}] ${m[i]} vs ${truth[i]}`);
});

test('similarityTransform is the least-squares fit: it never shears, unlike a 3-point affine', () => {
  // five points with a displaced nose: a similarity keeps right angles, so the eye line stays horizontal
  const src: Point[] = [
    [30, 50],
    [70, 50],
    [62, 70],
    [35, 90],
    [65, 90],
  ];
  const m = similarityTransform(src, ARCFACE_TEMPLATE);
  assert.ok(Math.abs(m[0] - m[4]) < 1e-12 && Math.abs(m[1] + m[3]) < 1e-12, 'rotation+uniform scale only');
  const residual = src.reduce((acc, p, i) => acc + Math.hypot(apply(m, p)[0] - ARCFACE_TEMPLATE[i]![0], apply(m, p)[1] - ARCFACE_TEMPLATE[i]![1]), 0);
  assert.ok(residual < 40, `residual ${residual}`);
});

test('warpAffine with the identity copies the image; outside the source is black', () => {
  const img = { width: 4, height: 3, data: Uint8Array.from({ length: 36 }, (_, i) => i * 7) };
  const same = warpAffine(img, [1, 0, 0, 0, 1, 0], 4, 3);
  assert.deepEqual([...same.data], [...img.data]);
  const shifted = warpAffine(img, [1, 0, 10, 0, 1, 0], 4, 3);
  assert.ok(shifted.data.every((v) => v === 0));
});

test('resizeRgb keeps a flat colour flat, and averages when shrinking', () => {
  const flat = { width: 100, height: 50, data: new Uint8Array(100 * 50 * 3).fill(77) };
  assert.ok(resizeRgb(flat, 13, 7).data.every((v) => v === 77));
  const stripes = { width: 8, height: 1, data: Uint8Array.from({ length: 24 }, (_, i) => (Math.floor(i / 3) % 2 ? 200 : 0)) };
  assert.ok(resizeRgb(stripes, 2, 1).data.every((v) => v === 100));
});

test('flipHorizontal twice is the identity; greyStats sees blur', () => {
  const img = { width: 5, height: 2, data: Uint8Array.from({ length: 30 }, (_, i) => (i * 37) % 256) };
  assert.deepEqual([...flipHorizontal(flipHorizontal(img)).data], [...img.data]);
  const sharp = { width: 20, height: 20, data: Uint8Array.from({ length: 1200 }, (_, i) => ((Math.floor(i / 3) % 2) ? 255 : 0)) };
  const flat = { width: 20, height: 20, data: new Uint8Array(1200).fill(128) };
  assert.ok(greyStats(sharp).sharpness > 1000, `${greyStats(sharp).sharpness}`);
  assert.ok(Math.abs(greyStats(flat).sharpness) < 1e-6);
  assert.ok(Math.abs(greyStats(flat).brightness - 128) < 1e-6);
});

test('68 -> 5 points: eye centres, nose tip, mouth corners', () => {
  const pts: Point[] = Array.from({ length: 68 }, (_, i) => [i, i * 2]);
  const [le, re, nose, lm, rm] = to5(pts);
  assert.deepEqual(le, [39, 78]);
  assert.deepEqual(re, [45, 90]);
  assert.deepEqual(nose, [30, 60]);
  assert.deepEqual(lm, [54, 108]);
  assert.deepEqual(rm, [59, 118]);
});

test('quality: a frontal template face has ~0 yaw, pitch and roll; a turned one has yaw', () => {
  const chip = { width: 112, height: 112, data: new Uint8Array(112 * 112 * 3).fill(100) };
  const frontal = ARCFACE_TEMPLATE as unknown as [Point, Point, Point, Point, Point];
  const q = faceQuality(frontal, chip);
  assert.ok(Math.abs(q.rollDeg) < 1 && Math.abs(q.yawDeg) < 2 && Math.abs(q.pitchDeg) < 12, JSON.stringify(q));
  assert.ok(Math.abs(q.interEyePx - 35.24) < 0.1);
  const turned = frontal.map((p, i) => (i === 2 ? [p[0] + 12, p[1]] : p)) as [Point, Point, Point, Point, Point];
  assert.ok(faceQuality(turned, chip).yawDeg > 20);
});
