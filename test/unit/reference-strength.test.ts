/** TPIR by reference strength (src/evaluate/reference-strength.ts): cut points per subject, TPIR per bin. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceStrength, type StrengthSearch } from '../../src/evaluate/reference-strength.ts';

const search = (identity: string, referenceNorm: number | null, mateScore: number, nonMateScore = 0.1, mated = true): StrengthSearch => ({ identity, referenceNorm, mateScore, nonMateScore, mated, fta: false });

test('bins are cut over subjects, not searches, and each bin reports the TPIR of its searches at each threshold', () => {
  const searches: StrengthSearch[] = [];
  // ten subjects, norms 1..10; subject k has k searches; weak references (norm <= 5) score 0.4, strong ones 0.8
  for (let k = 1; k <= 10; k++) for (let j = 0; j < k; j++) searches.push(search(`p${k}`, k, k <= 5 ? 0.4 : 0.8));
  searches.push(search('nm', null, -Infinity, 0.9, false)); // non-mated searches play no part
  const rs = referenceStrength(searches, [0.5, 0.3], 2)!;
  assert.deepEqual(rs.cuts, [6], 'the median of the ten subjects, not of the 55 searches');
  assert.equal(rs.bins.length, 2);
  assert.deepEqual([rs.bins[0]!.from, rs.bins[0]!.to, rs.bins[0]!.subjects, rs.bins[0]!.matedSearches], [1, 5, 5, 15]);
  assert.deepEqual([rs.bins[1]!.from, rs.bins[1]!.to, rs.bins[1]!.subjects, rs.bins[1]!.matedSearches], [6, 10, 5, 40]);
  assert.deepEqual(rs.bins[0]!.points, [{ threshold: 0.5, tpir: 0 }, { threshold: 0.3, tpir: 1 }]);
  assert.deepEqual(rs.bins[1]!.points, [{ threshold: 0.5, tpir: 1 }, { threshold: 0.3, tpir: 1 }]);
});

test('a search not at rank 1 is a miss whatever its score; no norm anywhere gives no analysis', () => {
  const rs = referenceStrength([search('a', 1, 0.8, 0.9), search('b', 2, 0.8, 0.1)], [0.5], 2)!;
  assert.deepEqual(rs.bins.map((b) => b.points[0]!.tpir), [0, 1]);
  assert.equal(referenceStrength([search('a', null, 0.8)], [0.5]), null);
});
