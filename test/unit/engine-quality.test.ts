import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chipQuality, laplacianVariance, resizeGrey, rollDegrees, QUALITY_SIDE } from '../../src/engine/human/quality.ts';
import type { RgbImage } from '../../src/engine/port.ts';

function image(side: number, pixel: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) data.fill(pixel(x, y), (y * side + x) * 3, (y * side + x) * 3 + 3);
  return { width: side, height: side, data };
}

describe('face quality helpers', () => {
  it('roll is the angle of the eye line, positive when the image-right eye is lower', () => {
    assert.equal(rollDegrees([0, 0], [10, 0]), 0);
    assert.ok(Math.abs(rollDegrees([0, 0], [10, 10]) - 45) < 1e-9);
    assert.ok(Math.abs(rollDegrees([0, 10], [10, 0]) + 45) < 1e-9);
  });

  it('a flat chip has zero sharpness and its grey level as brightness', () => {
    const q = chipQuality(image(192, () => 100));
    assert.equal(q.sharpness, 0);
    assert.ok(Math.abs(q.brightness - 100) < 1e-3);
  });

  it('a detailed chip is sharper than a blurred copy of it', () => {
    const sharp = image(192, (x, y) => ((x >> 2) + (y >> 2)) % 2 ? 220 : 30);
    const soft = image(192, (x, y) => 125 + 60 * Math.sin(x / 15) * Math.cos(y / 15));
    assert.ok(chipQuality(sharp).sharpness > 10 * chipQuality(soft).sharpness);
  });

  it('area resize keeps the mean and the Laplacian needs at least 3x3 pixels', () => {
    const src = Float32Array.from({ length: 192 * 192 }, (_, i) => i % 256);
    const out = resizeGrey(src, 192, 192, QUALITY_SIDE, QUALITY_SIDE);
    const m = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(m(out) - m(src)) < 0.5);
    assert.equal(laplacianVariance(new Float32Array(4), 2, 2), 0);
  });
});
