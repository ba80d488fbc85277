/** The contract every TemplateCache implementation passes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Template, TemplateCache } from '../../src/evaluate/cache.ts';

const sha = (c: string) => c.repeat(64);
export const FACE: Template = { status: 'face', faces: 2, embedding: Float32Array.from([0.6, 0.8, 0, 0]), box: [1, 2, 30, 40], detectorScore: 0.9, interEyePx: 12.5, quality: { yawDeg: -12.5, pitchDeg: 4.25, sharpness: 180.5, brightness: 96, embeddingNorm: 3.75 } };
export const NOFACE: Template = { status: 'no-face', faces: 0, embedding: null, box: null, detectorScore: null, interEyePx: null };

/** `make` opens the cache (again): implementations that persist must return what was flushed. */
export function templateCacheContract(name: string, make: () => Promise<TemplateCache>, persists: boolean): void {
  test(`${name}: stores faces and failures to acquire by content hash`, async () => {
    const c = await make();
    assert.equal(c.get(sha('a')), undefined);
    c.set(sha('a'), FACE);
    c.set(sha('b'), NOFACE);
    c.set(sha('c'), { ...NOFACE, status: 'unreadable' });
    assert.equal(c.size, 3);
    assert.deepEqual(c.get(sha('a')), FACE);
    assert.equal(c.get(sha('b'))!.status, 'no-face');
    await c.flush();
    if (persists) {
      const again = await make();
      assert.equal(again.size, 3);
      assert.deepEqual([...again.get(sha('a'))!.embedding!], [...FACE.embedding!].map((x) => Math.fround(x)));
      assert.deepEqual(again.get(sha('a'))!.box, FACE.box);
      assert.deepEqual(again.get(sha('a'))!.quality, FACE.quality, 'the quality measures survive the round trip');
      assert.equal(again.get(sha('b'))!.quality ?? null, null);
      assert.equal(again.get(sha('c'))!.status, 'unreadable');
    }
  });
}
