import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identitySplit, siblingPart, splitPartOf } from '../../../src/evaluate/split.ts';
import { cohortStats, snorm } from '../../../src/evaluate/cohort.ts';
import { scoreAll } from '../../../src/evaluate/score.ts';
import { isOpenLfrError } from '../../../src/errors.ts';

const names = Array.from({ length: 2000 }, (_, i) => `person_${i}`);

test('split by identity: deterministic, disjoint, near the asked fraction, seed-dependent; nested parts stay inside their parent', () => {
  const train = identitySplit({ part: 'train', seed: '1', testFraction: 0.5 });
  const test_ = identitySplit({ part: 'test', seed: '1', testFraction: 0.5 });
  for (const n of names) assert.notEqual(train(n), test_(n), `${n} is in exactly one part`);
  const share = names.filter(test_).length / names.length;
  assert.ok(share > 0.45 && share < 0.55, `test share ${share}`);
  assert.equal(splitPartOf('Ann', '1', 0.5), splitPartOf('Ann', '1', 0.5));
  assert.notDeepEqual(names.map((n) => splitPartOf(n, '1', 0.5)), names.map((n) => splitPartOf(n, '2', 0.5)));
  const tt = identitySplit({ part: 'train/test', seed: '1', testFraction: 0.5 });
  const tr = identitySplit({ part: 'train/train', seed: '1', testFraction: 0.5 });
  for (const n of names) {
    if (tt(n) || tr(n)) assert.ok(train(n), 'a nested part never takes a test identity');
    if (train(n)) assert.ok(tt(n) !== tr(n));
  }
  assert.equal(siblingPart('test'), 'train');
  assert.equal(siblingPart('train/test'), 'train/train');
  for (const bad of ['validation', 'train/x', 'train/test/test'])
    assert.throws(() => identitySplit({ part: bad, seed: '1', testFraction: 0.5 }), (e) => isOpenLfrError(e) && e.code === 'BAD_REQUEST');
  assert.throws(() => identitySplit({ part: 'test', seed: '1', testFraction: 1 }), (e) => isOpenLfrError(e) && e.code === 'BAD_REQUEST');
});

test('cohort statistics and S-norm: hand-computed', () => {
  // 2-d unit vectors; one row against a cohort of four
  const row = Float32Array.from([1, 0]);
  const cohort = Float32Array.from([1, 0, 0, 1, 0.6, 0.8, -1, 0]); // scores 1, 0, 0.6, -1
  const { mu, sigma } = cohortStats(row, cohort, 2, 2); // top-2: 1 and 0.6
  assert.ok(Math.abs(mu[0]! - 0.8) < 1e-6);
  assert.ok(Math.abs(sigma[0]! - 0.2) < 1e-6);
  assert.equal(snorm(1, 0.5, 0.25, 0, 0.5), (2 + 2) / 2);
  assert.throws(() => cohortStats(row, cohort, 2, 5), (e) => isOpenLfrError(e) && e.code === 'BAD_REQUEST');
});

test('S-norm in 1:N scoring: a "wolf" entry close to the whole cohort loses its rank-1 place', () => {
  const W = Float32Array.from([1, 0, 0.6, 0.8]); // entry 0 (identity 0), entry 1 (identity 1)
  const P = Float32Array.from([0.9, Math.sqrt(1 - 0.81)]);
  const base = { dims: 2, watchlist: W, watchlistIdentity: Int32Array.from([0, 1]), probes: P, probeIdentity: Int32Array.from([1]), probeFailed: new Uint8Array(1), collectImpostor: true };
  const raw = scoreAll(base);
  assert.equal(raw.top1[0], 0, 'raw: the wrong entry 0 (0.9) beats the mate (0.889)');
  const probe = { mu: Float64Array.from([0.5]), sigma: Float64Array.from([0.1]) };
  const entry = { mu: Float64Array.from([0.9, 0.3]), sigma: Float64Array.from([0.05, 0.1]) }; // entry 0 is close to everyone
  const normed = scoreAll({ ...base, norm: { probe, entry } });
  assert.equal(normed.top1[0], 1, 'after S-norm the wolf no longer wins');
  const s0 = 0.9;
  const s1 = 0.6 * 0.9 + 0.8 * Math.sqrt(0.19);
  assert.ok(Math.abs(normed.nonMateScore[0]! - snorm(s0, 0.5, 0.1, 0.9, 0.05)) < 1e-5);
  assert.ok(Math.abs(normed.mateScore[0]! - snorm(s1, 0.5, 0.1, 0.3, 0.1)) < 1e-5);
  assert.equal(normed.impostor.length, 1);
});
