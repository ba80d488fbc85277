import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accuracyAt, bestThreshold, foldsOf, tarAtFar, tenFoldAccuracy, type ScoredPair } from '../../bench/verification.ts';

const pair = (mated: boolean, score: number): ScoredPair => ({ mated, score });

describe('verification metrics', () => {
  it('accuracy at a threshold counts accepted mated and rejected non-mated pairs', () => {
    const pairs = [pair(true, 0.9), pair(true, 0.4), pair(false, 0.5), pair(false, 0.1)];
    assert.equal(accuracyAt(pairs, 0.45), 0.5);
    assert.equal(accuracyAt(pairs, 0.3), 0.75);
    assert.equal(accuracyAt(pairs, 0.6), 0.75);
  });

  it('best threshold separates separable scores perfectly, and a missing face (-Infinity) can only be rejected', () => {
    const pairs = [pair(true, 0.8), pair(true, 0.7), pair(false, 0.3), pair(false, 0.2), pair(true, -Infinity)];
    const best = bestThreshold(pairs);
    assert.equal(best.accuracy, 0.8);
    assert.ok(best.threshold > 0.3 && best.threshold < 0.7);
  });

  it('folds keep the mated/non-mated balance and use every pair once', () => {
    const pairs = [...Array.from({ length: 20 }, (_, i) => pair(true, i)), ...Array.from({ length: 20 }, (_, i) => pair(false, -i))];
    const folds = foldsOf(pairs, 10);
    assert.equal(folds.length, 10);
    for (const f of folds) assert.deepEqual([f.filter((p) => p.mated).length, f.filter((p) => !p.mated).length], [2, 2]);
    assert.equal(folds.flat().length, 40);
  });

  it('10-fold accuracy is 1 on separable scores and about 0.5 on random ones', () => {
    const sep = [...Array.from({ length: 50 }, (_, i) => pair(true, 0.6 + i / 1000)), ...Array.from({ length: 50 }, (_, i) => pair(false, 0.2 + i / 1000))];
    assert.equal(tenFoldAccuracy(sep).accuracy, 1);
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const noise = Array.from({ length: 2000 }, (_, i) => pair(i % 2 === 0, rnd()));
    const acc = tenFoldAccuracy(noise).accuracy;
    assert.ok(acc > 0.4 && acc < 0.6, `random scores give ${acc}`);
  });

  it('TAR at FAR lets through at most floor(FAR x non-mated) non-mated pairs', () => {
    const impostors = Array.from({ length: 2000 }, (_, i) => pair(false, i / 2000)); // highest 0.9995, 0.999
    const genuine = [pair(true, 0.9992), pair(true, 0.99999), pair(true, 0.5)];
    const { tar, threshold } = tarAtFar([...impostors, ...genuine], 1e-3); // 2 impostors may pass
    assert.equal(threshold, impostors[1997]!.score);
    assert.equal(tar, 2 / 3);
  });
});
