import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Projection } from '../../../src/engine/projection.ts';
import { trainProjection } from '../../../src/evaluate/train-projection.ts';
import { walkPast } from '../../../src/evaluate/walk-past.ts';
import type { AcquiredImage } from '../../../src/evaluate/acquire.ts';
import type { DatasetImage } from '../../../src/evaluate/dataset.ts';
import { isOpenLfrError } from '../../../src/errors.ts';

/** Deterministic pseudo-random numbers (xorshift), so the test data never changes. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32) * 2 - 1;
  };
}
const normalise = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('projection file: round trip, id = content hash, output unit length; bad files refused with a typed error', () => {
  const mean = Float32Array.from([0.1, 0, 0]);
  const matrix = Float32Array.from([1, 0, 0, 0, 2, 0]); // 2 x 3
  const { projection, json } = Projection.fromArrays('test', mean, matrix, 2);
  const again = Projection.parse(json, 'x');
  assert.equal(again.id, projection.id);
  assert.equal(projection.engineId('onnx@2:a'), `onnx@2:a+proj=${projection.id}`);
  const y = projection.apply(Float32Array.from([1.1, 1, 0]));
  assert.deepEqual([...y].map((v) => Number(v.toFixed(5))), [0.44721, 0.89443]);
  const bad = (text: string) => assert.throws(() => Projection.parse(text, 'f'), (e) => isOpenLfrError(e) && e.code === 'ENGINE_PROJECTION_INVALID');
  bad('not json');
  bad('{"format":"other"}');
  bad(json.replace('"outDims":2', '"outDims":3'));
  assert.throws(() => projection.apply(Float32Array.from([1, 0])), (e) => isOpenLfrError(e) && e.code === 'ENGINE_PROJECTION_INVALID');
});

test('WCCN learns away a nuisance direction: same-person cosine rises, different-person cosine does not', () => {
  // 8-d: identity lives in dims 0..5; dims 6..7 carry large within-person noise (pose, light)
  const r = rng(7);
  const d = 8;
  const make = (centre: Float32Array) => {
    const v = Float32Array.from(centre, (c, i) => c + (i >= 6 ? 1.5 * r() : 0.1 * r()));
    return normalise(v);
  };
  const people = Array.from({ length: 60 }, () => Float32Array.from({ length: d }, (_, i) => (i < 6 ? r() : 0)));
  const train = people.slice(0, 40).flatMap((c, p) => Array.from({ length: 5 }, () => ({ identity: `p${p}`, embedding: make(c) })));
  const { projection, templates, identities } = trainProjection(train, { dims: d, regularisation: 0.01 });
  assert.equal(templates, 200);
  assert.equal(identities, 40);
  // held-out people
  let rawGen = 0;
  let projGen = 0;
  let rawImp = 0;
  let projImp = 0;
  const held = people.slice(40);
  held.forEach((c, i) => {
    const a = make(c);
    const b = make(c);
    const o = make(held[(i + 1) % held.length]!);
    rawGen += dot(a, b);
    projGen += dot(projection.apply(a), projection.apply(b));
    rawImp += dot(a, o);
    projImp += dot(projection.apply(a), projection.apply(o));
  });
  assert.ok(projGen - projImp > rawGen - rawImp + 0.1 * held.length, `separation raw ${(rawGen - rawImp) / held.length}, projected ${(projGen - projImp) / held.length}`);
  const lda = trainProjection(train, { dims: 4, regularisation: 0.01 });
  assert.equal(lda.projection.outDims, 4);
  assert.equal(lda.projection.method, 'wccn+lda4');
  assert.throws(() => trainProjection(train.slice(0, 5), { dims: d, regularisation: 0.1 }), (e) => isOpenLfrError(e) && e.code === 'BAD_REQUEST');
});

test('walk-past: tracks, watchlist and the three fusion rules on hand-made templates', () => {
  // 3-d unit vectors; A (on list) and B (off list) have 4 images each, with 3 frames per track: A = 1 enrolled + 1 track of 3, B = 1 track of 3 (+1 left over)
  const images: DatasetImage[] = [];
  const acquired = new Map<string, AcquiredImage>();
  const add = (identity: string, i: number, e: number[] | null) => {
    const im = { key: `${identity}/${i}`, rel: `${identity}/${i}`, identity, abs: '' };
    images.push(im);
    const embedding = e ? normalise(Float32Array.from(e)) : null;
    acquired.set(im.key, { image: im, sha256: im.key, template: { status: embedding ? 'face' : 'no-face', faces: embedding ? 1 : 0, embedding, box: null, detectorScore: null, interEyePx: null } });
  };
  // which of two walkers is on the list follows SHA-256 order of the names; find out and build around it
  const names = ['Ann', 'Bob'];
  const probeRun = () => walkPast(images, acquired, 3, 3, [0.5]);
  for (const n of names) for (let i = 0; i < 4; i++) add(n, i, [1, 0, 0]);
  add('Cy', 0, [0, 1, 0]); // a distractor with one image
  const first = probeRun();
  assert.equal(first.watchlistSize, 2, 'one walker enrolled + one distractor');
  assert.equal(first.matedTracks, 1);
  assert.equal(first.nonMatedTracks, 1);
  // now real values: the on-list walker's first image is enrolled along x; its track has one bad shot (no face), one near, one far
  images.length = 0;
  acquired.clear();
  const onList = names.find((n) => first.topNonMated[0]!.candidate === n)!;
  const offList = names.find((n) => n !== onList)!;
  add(onList, 0, [1, 0, 0]);
  add(onList, 1, null);
  add(onList, 2, [0.9, 0.1, 0]);
  add(onList, 3, [0.2, 0, 1]);
  for (let i = 0; i < 4; i++) add(offList, i, [0, 0.2, 1]);
  add('Cy', 0, [0, 1, 0]);
  const w = probeRun();
  const rule = (name: string) => w.rules.find((x) => x.rule === name)!;
  assert.equal(rule('single').fta, 0.5, 'the mated track\'s first shot has no face: single shot fails to acquire');
  assert.equal(rule('max').fta, 0);
  assert.equal(rule('average').fta, 0);
  // FPIR 0.5 of 1 non-mated search allows no false alarm: the threshold sits just above the non-mated track's best score
  for (const r of w.rules) assert.equal(r.points[0]!.falseAlarms, 0);
  assert.equal(rule('max').points[0]!.tpir, 1, 'max: the near shot (0.99) beats the off-list walker\'s best (0.196)');
  assert.equal(w.topNonMated[0]!.identity, offList);
  assert.throws(() => walkPast(images, acquired, 1, 3, [0.5]), (e) => isOpenLfrError(e) && e.code === 'BAD_REQUEST');
});

test('fuse: the mean of unit vectors, re-normalised; with weights (the norm-weighted rule), a heavier shot pulls harder', async () => {
  const { fuse } = await import('../../../src/live/6-match.ts');
  const a = Float32Array.from([1, 0]);
  const b = Float32Array.from([0, 1]);
  const even = fuse([a, b], new Float32Array(2));
  assert.ok(Math.abs(even[0]! - Math.SQRT1_2) < 1e-6 && Math.abs(even[1]! - Math.SQRT1_2) < 1e-6);
  const heavy = fuse([a, b], new Float32Array(2), [3, 1]);
  assert.ok(Math.abs(heavy[0]! - 3 / Math.sqrt(10)) < 1e-6 && Math.abs(heavy[1]! - 1 / Math.sqrt(10)) < 1e-6);
});
