import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dotRows } from '../../src/match/exact.ts';
import { TopK } from '../../src/match/topk.ts';
import { bestPerSubject, l2normalise } from '../../src/match/port.ts';
import { CHUNK_ROWS, galleryChunk, galleryRowsOf, prng, syntheticProbes } from '../../src/match/synthetic.ts';
import { OpenLfrError } from '../../src/errors.ts';

test('dotRows equals a naive dot product for every row count and dimension remainder', () => {
  const rand = prng(1);
  for (let dims = 1; dims <= 9; dims++) {
    for (let rows = 0; rows <= 9; rows++) {
      const m = Float32Array.from({ length: rows * dims }, () => rand() - 0.5);
      const q = Float32Array.from({ length: dims * 2 }, () => rand() - 0.5);
      for (const from of [0, Math.min(rows, 2)]) {
        const scores = new Float64Array(rows);
        dotRows(q, dims, m, dims, from, rows, scores);
        for (let i = from; i < rows; i++) {
          let s = 0;
          for (let j = 0; j < dims; j++) s += q[dims + j]! * m[i * dims + j]!;
          assert.ok(Math.abs(scores[i - from]! - s) < 1e-12, `dims ${dims} rows ${rows} row ${i}`);
        }
      }
    }
  }
});

test('TopK keeps the k best, ranked by score then id, and raises its floor', () => {
  const ids = ['e', 'd', 'c', 'b', 'a', 'f'];
  const h = new TopK(3, (r) => ids[r]!);
  const scores = [0.5, 0.9, 0.5, 0.1, 0.5, 0.95];
  scores.forEach((s, r) => {
    if (s >= h.floor) h.push(r, s);
  });
  assert.deepEqual(h.result(), [
    { id: 'f', score: 0.95 },
    { id: 'd', score: 0.9 },
    { id: 'a', score: 0.5 },
  ]);
  assert.equal(h.floor, 0.5);
  const t = new TopK(5, (r) => ids[r]!, 0.6);
  scores.forEach((s, r) => {
    if (s >= t.floor) t.push(r, s);
  });
  assert.deepEqual(t.result().map((x) => x.id), ['f', 'd']);
});

test('bestPerSubject keeps each subject once, with its best template', () => {
  const subjects: Record<string, string> = { t1: 'A', t2: 'A', t3: 'B', t4: 'C', t5: 'B' };
  const hits = [
    { id: 't1', score: 0.9 },
    { id: 't2', score: 0.95 },
    { id: 't3', score: 0.4 },
    { id: 't5', score: 0.7 },
    { id: 'orphan', score: 0.99 },
    { id: 't4', score: 0.7 },
  ];
  assert.deepEqual(bestPerSubject(hits, (id) => subjects[id]), [
    { subject: 'A', score: 0.95, templateId: 't2' },
    { subject: 'B', score: 0.7, templateId: 't5' },
    { subject: 'C', score: 0.7, templateId: 't4' },
  ]);
  assert.equal(bestPerSubject(hits, (id) => subjects[id], 1).length, 1);
});

test('l2normalise returns a unit vector and refuses zero and NaN', () => {
  const v = l2normalise([3, 4]);
  assert.ok(Math.abs(v[0]! - 0.6) < 1e-7 && Math.abs(v[1]! - 0.8) < 1e-7);
  assert.throws(() => l2normalise([0, 0]), (e: unknown) => e instanceof OpenLfrError && e.code === 'MATCH_VECTOR_INVALID');
  assert.throws(() => l2normalise([NaN, 1]), (e: unknown) => e instanceof OpenLfrError && e.code === 'MATCH_VECTOR_INVALID');
});

test('synthetic galleries are seeded, normalised, chunk-independent, and face-like scores spread wider', () => {
  const dims = 512;
  const a = galleryChunk(7, 1, CHUNK_ROWS + 50, dims);
  const b = galleryChunk(7, 1, CHUNK_ROWS + 50, dims);
  assert.equal(a.length, 50 * dims);
  assert.deepEqual(a, b);
  assert.notDeepEqual(galleryChunk(8, 1, CHUNK_ROWS + 50, dims), a);
  for (let r = 0; r < 50; r++) {
    let s = 0;
    for (let j = 0; j < dims; j++) s += a[r * dims + j]! ** 2;
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
  const sd = (x: Float32Array) => {
    const n = x.length / dims;
    const s: number[] = [];
    for (let i = 0; i + 1 < n; i += 2) {
      let d = 0;
      for (let j = 0; j < dims; j++) d += x[i * dims + j]! * x[(i + 1) * dims + j]!;
      s.push(d);
    }
    return Math.sqrt(s.reduce((p, v) => p + v * v, 0) / s.length);
  };
  const faceLike = galleryChunk(1, 0, 2000, dims, 'face-like');
  const iso = galleryChunk(1, 0, 2000, dims, 'isotropic');
  assert.ok(Math.abs(sd(iso) - 1 / Math.sqrt(dims)) < 0.006, `isotropic sd ${sd(iso)}`);
  assert.ok(sd(faceLike) > 0.075 && sd(faceLike) < 0.095, `face-like sd ${sd(faceLike)}`);
  // a mated probe scores about 0.7 with its template
  const { probes, matedRow } = syntheticProbes(3, 4, dims, 2000, galleryRowsOf(1, 2000, dims), 'face-like');
  const g = galleryRowsOf(1, 2000, dims)([matedRow[0]!])[0]!;
  let s = 0;
  for (let j = 0; j < dims; j++) s += probes[j]! * g[j]!;
  assert.ok(s > 0.6 && s < 0.8, `mated score ${s}`);
  assert.equal(matedRow[1], -1);
});
