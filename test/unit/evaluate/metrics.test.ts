import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bestThreshold,
  detCurve,
  identificationAt,
  nextUp,
  oneIn,
  operatingPointByFpir,
  pairsAccuracy,
  prepareIdentification,
  prepareVerification,
  scaleFpir,
  perComparisonRateFromFpir,
  fpirForWatchlistSize,
  tarAtFmr,
  verificationAt,
  type SearchOutcome,
} from '../../../src/evaluate/metrics.ts';

const close = (a: number | null, b: number, tol = 1e-12) => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} != ${b}`);
const NONE = -Infinity;
const mated = (mateScore: number, nonMateScore: number): SearchOutcome => ({ mated: true, fta: false, mateScore, nonMateScore });
const nonMated = (nonMateScore: number): SearchOutcome => ({ mated: false, fta: false, mateScore: NONE, nonMateScore });
const fta = (isMated: boolean): SearchOutcome => ({ mated: isMated, fta: true, mateScore: NONE, nonMateScore: NONE });

// Four mated searches: a clear hit, a mate beaten by someone else, a tie for first place, and a failure to acquire.
// Four non-mated searches: 0.65, 0.4, a failure to acquire, and one exactly at 0.6.
const SEARCHES = [mated(0.9, 0.5), mated(0.7, 0.8), mated(0.6, 0.6), fta(true), nonMated(0.65), nonMated(0.4), fta(false), nonMated(0.6)];

test('identification: TPIR/FNIR/FPIR by hand, with ties at the threshold and FTA kept in the denominators', () => {
  const set = prepareIdentification(SEARCHES);
  assert.equal(set.matedSearches, 4);
  assert.equal(set.nonMatedSearches, 4);
  assert.equal(set.ftaMated, 1);
  assert.equal(set.ftaNonMated, 1);
  const at06 = identificationAt(set, 0.6);
  assert.equal(at06.hits, 1, 'only the clear hit: the beaten mate and the tie for first are misses, FTA is a miss');
  close(at06.tpir, 0.25);
  close(at06.fnir, 0.75);
  assert.equal(at06.falseAlarms, 2, 'a score exactly at the threshold alarms; the FTA never does');
  close(at06.fpir, 0.5);
  close(identificationAt(set, 0.65).fpir, 0.25);
  close(identificationAt(set, nextUp(0.65)).fpir, 0);
  close(identificationAt(set, 0.9).tpir, 0.25);
  close(identificationAt(set, nextUp(0.9)).tpir, 0);
  close(identificationAt(set, -1).tpir, 0.25); // even at the lowest threshold three of four mated searches miss
});

test('identification: operating points fixed by FPIR, and when the sample is too small to support them', () => {
  const set = prepareIdentification(SEARCHES);
  const op = operatingPointByFpir(set, 0.25);
  assert.equal(op.threshold, nextUp(0.6), 'lowest threshold with at most 1 of 4 alarms');
  close(op.fpir, 0.25);
  close(op.tpir, 0.25);
  assert.equal(op.supported, false);
  assert.equal(op.requiredNonMated, 12);
  assert.match(op.note!, /only 4 non-mated searches/);
  const strict = operatingPointByFpir(set, 0.01);
  assert.equal(strict.threshold, nextUp(0.65));
  close(strict.fpir, 0);

  // 300 non-mated searches scored 1/300 .. 300/300: FPIR 1e-2 allows 3 alarms -> threshold just above the 4th highest
  const many = [...Array.from({ length: 300 }, (_, i) => nonMated((i + 1) / 300)), mated(0.995, 0), mated(0.9, 0)];
  const op2 = operatingPointByFpir(prepareIdentification(many), 1e-2);
  assert.equal(op2.threshold, nextUp(297 / 300));
  assert.equal(op2.falseAlarms, 3);
  close(op2.tpir, 0.5);
  assert.equal(op2.supported, true);
  assert.equal(op2.note, null);
  const none = operatingPointByFpir(prepareIdentification([mated(0.9, 0.1)]), 1e-3);
  assert.equal(none.fpir, null);
  assert.equal(none.tpir, null, 'no operating point without non-mated searches');
  assert.match(none.note!, /no non-mated searches/);
});

test('identification: FPIR as "1 in X" and scaling to another watchlist size', () => {
  assert.equal(oneIn(0.001), 1000);
  assert.equal(oneIn(0), null);
  // 1 - (1 - 1e-4)^10: a 10x larger watchlist multiplies a small FPIR by almost exactly 10
  close(scaleFpir(1e-4, 1000, 10_000), 9.995501199790025e-4, 1e-17);
  close(scaleFpir(0.3, 50, 50), 0.3, 1e-12);
  // NPL: 1 in 6,000 with 10,000 entries is about 1 in 60,000 with 1,000
  const r = scaleFpir(1 / 6000, 10_000, 1000);
  assert.ok(Math.abs(1 / r - 60_000) < 10, `1 in ${1 / r}`);
  close(fpirForWatchlistSize(perComparisonRateFromFpir(0.02, 100), 100), 0.02, 1e-12);
  assert.throws(() => perComparisonRateFromFpir(0.1, 0), RangeError);
});

test('verification: FMR, FNMR, TAR at FMR and the DET curve by hand (FTA genuine comparisons fail)', () => {
  const set = prepareVerification([0.9, 0.8, NONE, 0.5], Float32Array.from([0.1, 0.85, 0.2, 0.3, 0.55]));
  const p = verificationAt(set, Math.fround(0.55));
  close(p.fmr, 2 / 5);
  close(p.fnmr, 0.5);
  const tar = tarAtFmr(set, 0.2);
  assert.equal(tar.threshold, nextUp(Math.fround(0.55)));
  close(tar.tar, 0.5);
  close(tar.fmr, 0.2);
  assert.equal(tar.supported, false);
  close(tarAtFmr(set, 0.01).tar, 0.25);
  const det = detCurve(set, 10);
  assert.ok(det.length >= 3);
  for (let i = 1; i < det.length; i++) {
    assert.ok(det[i]!.fmr! >= det[i - 1]!.fmr!, 'DET points ordered by FMR');
    assert.ok(det[i]!.fnmr! <= det[i - 1]!.fnmr!, 'FNMR falls as FMR rises');
  }
  assert.deepEqual(detCurve(prepareVerification([], new Float32Array(0))), []);
});

test('pairs: best threshold by hand and 10-fold accuracy with a failure to acquire', () => {
  const pairs = [0.9, 0.7, 0.4].map((score) => ({ same: true, score })).concat([0.5, 0.3, 0.2].map((score) => ({ same: false, score })));
  close(bestThreshold(pairs), 0.35, 1e-12); // 5 of 6 right at 0.35 and at 0.6: the lowest wins
  const ten = [
    ...Array.from({ length: 10 }, (_, i) => ({ same: true, score: i === 3 ? NONE : 0.8 + i / 100 })),
    ...Array.from({ length: 10 }, (_, i) => ({ same: false, score: 0.1 + i / 100 })),
  ];
  const acc = pairsAccuracy(ten, 10)!;
  close(acc.accuracy, 0.95, 1e-12); // the fold holding the FTA same-pair gets 1 of 2 right
  assert.equal(acc.folds.length, 10);
  assert.equal(acc.samePairs, 10);
  assert.equal(pairsAccuracy(ten.slice(0, 5), 10), null);
});
