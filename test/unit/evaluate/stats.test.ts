import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clopperPearsonInterval, fisherExact, holmAdjust, bonferroniAdjust, wilsonInterval, logGamma, regularizedBeta } from '../../../src/evaluate/stats.ts';

const close = (actual: number, expected: number, tol: number, what = '') => assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} != ${expected} (tol ${tol})`);

test('stats: log-gamma and incomplete beta match known values', () => {
  close(logGamma(1), 0, 1e-13);
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13);
  close(logGamma(101), 363.73937555556347, 1e-9); // ln(100!)
  close(regularizedBeta(0.5, 2, 2), 0.5, 1e-12);
  close(regularizedBeta(0.3, 1, 1), 0.3, 1e-12);
});

// Reference values: R / scipy.stats (beta.ppf for Clopper-Pearson; Wilson from its closed form).
test('stats: Clopper-Pearson intervals match the published exact values', () => {
  const cases: [number, number, number, number][] = [
    [0, 10, 0, 0.3084971078187607],
    [1, 10, 0.0025285785444617848, 0.4450161170281954],
    [5, 10, 0.18708602844739855, 0.8129139715526015],
    [10, 10, 0.6915028921812392, 1],
    [3, 1000, 0.0006190999316495713, 0.008742023238478303],
    [0, 2854, 0, 0.001291694634892192],
    [81, 263, 0.25273674558527126, 0.36762192260135135],
  ];
  for (const [x, n, lo, hi] of cases) {
    const ci = clopperPearsonInterval(x, n)!;
    close(ci[0], lo, 1e-9, `CP lower ${x}/${n}`);
    close(ci[1], hi, 1e-9, `CP upper ${x}/${n}`);
  }
  assert.equal(clopperPearsonInterval(0, 0), null, 'an empty group has no interval');
});

test('stats: Wilson intervals match the known values', () => {
  const cases: [number, number, number, number][] = [
    [0, 10, 0, 0.2775327998628892],
    [1, 10, 0.017876213095072896, 0.4041500267952385],
    [5, 10, 0.236593090512564, 0.7634069094874361],
    [3, 1000, 0.0010207838811386186, 0.008783014053503173],
    [81, 263, 0.2552885198782742, 0.36620957698280004],
  ];
  for (const [x, n, lo, hi] of cases) {
    const ci = wilsonInterval(x, n)!;
    close(ci[0], lo, 1e-12, `Wilson lower ${x}/${n}`);
    close(ci[1], hi, 1e-12, `Wilson upper ${x}/${n}`);
  }
  assert.equal(wilsonInterval(0, 0), null);
});

test("stats: Fisher's exact test (two-sided) matches R's fisher.test", () => {
  // Fisher's lady tasting tea: p = 0.4857; the dieting example on Wikipedia: p = 0.002759
  close(fisherExact(3, 1, 1, 3), 0.48571428571428565, 1e-12);
  close(fisherExact(1, 9, 11, 3), 0.0027594561852200836, 1e-12);
  close(fisherExact(0, 10, 5, 5), 0.032507739938080496, 1e-12);
  close(fisherExact(2, 998, 10, 990), 0.03801124749285139, 1e-10);
  close(fisherExact(7, 12, 0, 15), 0.010562649824820209, 1e-12);
  assert.equal(fisherExact(0, 0, 3, 4), 1, 'an empty row gives no evidence');
  assert.equal(fisherExact(0, 0, 0, 0), 1);
  assert.throws(() => fisherExact(-1, 2, 3, 4), RangeError);
});

test('stats: Holm and Bonferroni corrections', () => {
  // worked example: p = (0.01, 0.04, 0.03, 0.005) -> Holm (0.03, 0.06, 0.06, 0.02)
  const holm = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((v, i) => close(holm[i]!, v, 1e-12, `holm[${i}]`));
  assert.deepEqual(bonferroniAdjust([0.01, 0.5]), [0.02, 1]);
  assert.deepEqual(holmAdjust([]), []);
});
