/** The reference check's arithmetic (src/governance/reference-check.ts): pure, on hand-made unit vectors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReference } from '../../src/governance/reference-check.ts';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};
const o = { bar: 0.34, barSource: 'test', alertThreshold: 0.6 };

test('a first photo passes and is compared with every other subject', () => {
  const c = checkReference(unit(1, 0, 0), 'S-new', [{ subjectRef: 'S-a', vectors: [unit(0, 1, 0)] }, { subjectRef: 'S-b', vectors: [unit(1, 1, 0)] }], o);
  assert.deepEqual(c.sameSubject, { references: 0, bestScore: null, bar: 0.34, barSource: 'test', passed: true });
  assert.equal(c.otherSubjects.compared, 2);
  assert.deepEqual(c.otherSubjects.best, { subjectRef: 'S-b', score: 0.707 });
  assert.equal(c.otherSubjects.resemblesAnother, true, '0.707 reaches the alert threshold 0.6');
});

test("a further photo is judged on its best score against the subject's photos, at the bar", () => {
  const own = { subjectRef: 'S-x', vectors: [unit(0, 1, 0), unit(1, 1, 0)] };
  const pass = checkReference(unit(1, 0.2, 0), 'S-x', [own], o);
  assert.equal(pass.sameSubject.references, 2);
  assert.equal(pass.sameSubject.passed, true);
  assert.equal(pass.otherSubjects.compared, 0);
  assert.equal(pass.otherSubjects.best, null);
  assert.equal(pass.otherSubjects.resemblesAnother, false);
  const fail = checkReference(unit(0, 0, 1), 'S-x', [own], o);
  assert.equal(fail.sameSubject.bestScore, 0);
  assert.equal(fail.sameSubject.passed, false);
  // exactly at the bar passes
  const at = checkReference(unit(1, 0, 0), 'S-x', [{ subjectRef: 'S-x', vectors: [unit(1, 0, 0)] }], { ...o, bar: 1 });
  assert.equal(at.sameSubject.passed, true);
});

test('subjects with no comparable template are skipped, not counted', () => {
  const c = checkReference(unit(1, 0), 'S-x', [{ subjectRef: 'S-x', vectors: [] }, { subjectRef: 'S-y', vectors: [] }], o);
  assert.equal(c.sameSubject.references, 0);
  assert.equal(c.sameSubject.passed, true);
  assert.equal(c.otherSubjects.compared, 0);
});

test('a photo is placed among the calibration bins by its strength; only the weakest bin is flagged weak', async () => {
  const { assessStrength } = await import('../../src/governance/reference-check.ts');
  const cal = { calibrationId: 'cal_1', threshold: 0.57, cuts: [3.28, 3.49, 3.71, 3.91], bins: [{ tpir: 0.566 }, { tpir: 0.743 }, { tpir: 0.77 }, { tpir: 0.879 }, { tpir: 0.952 }] };
  const weak = assessStrength(2.9, cal);
  assert.deepEqual(weak, { norm: 2.9, bin: 1, bins: 5, weak: true, foundInBin: 0.566, foundStrongest: 0.952, threshold: 0.57, calibrationId: 'cal_1' });
  assert.equal(assessStrength(3.28, cal).bin, 2, 'a cut point belongs to the bin above it');
  assert.equal(assessStrength(3.28, cal).weak, false);
  assert.equal(assessStrength(4.5, cal).bin, 5);
  assert.equal(assessStrength(4.5, cal).foundInBin, 0.952);
  // a calibration with one bin flags nothing
  assert.equal(assessStrength(1, { ...cal, cuts: [], bins: [{ tpir: 0.9 }] }).weak, false);
});
