import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equityAt, findEquitableThreshold, groupsOf, welchP, type LabelledSearch } from '../../../src/evaluate/equity.ts';

const NONE = -Infinity;
const rep = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const nm = (score: number, labels: Record<string, string | undefined>): LabelledSearch => ({ mated: false, fta: false, mateScore: NONE, nonMateScore: score, labels });
const m = (mate: number, other: number, labels: Record<string, string | undefined>): LabelledSearch => ({ mated: true, fta: false, mateScore: mate, nonMateScore: other, labels });

test('equity: two groups, FPIR 7/19 vs 0/15 is a significant differential after Holm (p = 0.01056 x 2)', () => {
  const s = [
    ...rep(7, () => nm(0.7, { gender: 'F' })),
    ...rep(12, () => nm(0.2, { gender: 'F' })),
    ...rep(15, () => nm(0.2, { gender: 'M' })),
    ...rep(5, () => m(0.9, 0.1, { gender: 'F' })),
    ...rep(5, () => m(0.9, 0.1, { gender: 'M' })),
    nm(0.9, { gender: '' }), // unknown: left out of the groups
  ];
  const e = equityAt(s, 'gender', 0.6);
  assert.deepEqual(e.groups.map((g) => g.group), ['F', 'M']);
  assert.equal(e.groups[0]!.fpir.errors, 7);
  assert.equal(e.groups[0]!.fpir.n, 19);
  assert.equal(e.tests.length, 2, 'one test per metric with two groups');
  const fpirTest = e.tests.find((t) => t.metric === 'fpir')!;
  assert.ok(Math.abs(fpirTest.p - 0.010562649824820209) < 1e-12);
  assert.ok(Math.abs(fpirTest.pAdjusted - 2 * 0.010562649824820209) < 1e-12);
  assert.equal(e.verdict, 'significant');
  assert.match(e.reason, /FPIR F vs M/);
  assert.equal(e.pooled.fpir.n, 34, 'the unknown-label search is not pooled');
});

test('equity: equal large groups give "none"; small ones give "too small to show no differential"', () => {
  const big = (g: string) => [
    ...rep(10, () => nm(0.7, { gender: g })),
    ...rep(990, () => nm(0.1, { gender: g })),
    ...rep(100, () => m(0.5, 0.1, { gender: g })),
    ...rep(900, () => m(0.9, 0.1, { gender: g })),
  ];
  const e = equityAt([...big('F'), ...big('M')], 'gender', 0.6);
  assert.equal(e.verdict, 'none', e.reason);
  assert.ok(e.tests.every((t) => Math.abs(t.p - 1) < 1e-9));
  // F 1 alarm in 10, M 0 in 10: p = 1, but F's upper limit (0.445) is far above 2x the pooled 0.05
  const small = equityAt([nm(0.7, { gender: 'F' }), ...rep(9, () => nm(0.1, { gender: 'F' })), ...rep(10, () => nm(0.1, { gender: 'M' })), ...big('F').filter((x) => x.mated), ...big('M').filter((x) => x.mated)], 'gender', 0.6);
  assert.equal(small.verdict, 'too-small');
  assert.match(small.reason, /too small to show there is none: FPIR F \(n=10, upper 95% limit 0.445/);
  const tiny = equityAt([nm(0.1, { gender: 'F' }), nm(0.1, { gender: 'M' }), m(0.9, 0.1, { gender: 'F' }), m(0.9, 0.1, { gender: 'M' })], 'gender', 0.6);
  assert.equal(tiny.verdict, 'too-small', 'one search per group cannot show anything');
});

test('equity: empty groups and unknown labels', () => {
  const onlyMated = [m(0.9, 0.1, { race: 'a' }), m(0.3, 0.1, { race: 'b' }), nm(0.8, {})];
  const e = equityAt(onlyMated, 'race', 0.6);
  assert.equal(e.groups[0]!.fpir.n, 0);
  assert.equal(e.groups[0]!.fpir.rate, null, 'no non-mated searches: no FPIR, not zero');
  assert.equal(e.groups[0]!.fpir.wilson, null);
  assert.equal(e.tests.filter((t) => t.metric === 'fpir').length, 0);
  assert.equal(e.verdict, 'too-small');
  const none = equityAt(onlyMated, 'age', 0.6);
  assert.deepEqual(none.groups, []);
  assert.equal(none.verdict, 'too-small');
  assert.deepEqual(groupsOf(onlyMated, 'race'), ['a', 'b']);
});

test('equity: three groups are tested each against the rest, Holm over all six tests; FTA is a miss', () => {
  const s = ['a', 'b', 'c'].flatMap((g) => [
    ...rep(20, () => nm(0.1, { band: g })),
    ...rep(10, (i) => (g === 'c' && i < 6 ? { mated: true, fta: true, mateScore: NONE, nonMateScore: NONE, labels: { band: g } } : m(0.9, 0.1, { band: g }))),
  ]);
  const e = equityAt(s, 'band', 0.6);
  assert.equal(e.tests.length, 6);
  assert.ok(e.tests.every((t) => t.versus === 'rest'));
  const c = e.groups.find((g) => g.group === 'c')!;
  assert.equal(c.fnir.errors, 6, 'failures to acquire count as misses');
  const cTest = e.tests.find((t) => t.metric === 'fnir' && t.group === 'c')!;
  // c: 6 of 10 missed vs rest 0 of 20: Fisher p = C(10,6)/C(30,6) = 210/593775
  assert.ok(Math.abs(cTest.p - 210 / 593775) < 1e-12);
  assert.equal(e.verdict, 'significant');
  const fpirOnly = equityAt(s, 'band', 0.6, { alpha: 0.05, ratio: 2, metrics: ['fpir'] });
  assert.equal(fpirOnly.tests.length, 3, 'only FPIR tests when only FPIR differentials count');
  assert.notEqual(fpirOnly.verdict, 'significant');
});

test('equitable threshold: the lowest threshold within the FPIR target with no significant differential', () => {
  const s = [
    ...rep(20, () => nm(0.55, { gender: 'F' })),
    ...rep(80, () => nm(0.1, { gender: 'F' })),
    ...rep(100, () => nm(0.1, { gender: 'M' })),
    ...rep(50, () => m(0.9, 0.0, { gender: 'F' })),
    ...rep(50, () => m(0.9, 0.0, { gender: 'M' })),
  ];
  const eq = findEquitableThreshold(s, ['gender'], 0.2)!;
  // FPIR 0.2 is met just above 0.1 (20 of 200 alarm), but F alarms 20/100 vs M 0/100 until the threshold passes 0.55
  assert.equal(eq.threshold, 0.56);
  assert.equal(eq.point.fpir, 0);
  assert.equal(eq.point.tpir, 1);
  assert.equal(eq.fpirTargetSupported, true);
  assert.notEqual(eq.columns[0]!.verdict, 'significant');
  // a target every threshold meets: the search starts from the lowest score seen
  const withFta = [...s, ...rep(100, () => ({ mated: false, fta: true, mateScore: NONE, nonMateScore: NONE, labels: { gender: 'M' } }))];
  const loose = findEquitableThreshold(withFta, ['gender'], 0.7)!; // 210 alarms allowed, only 200 searches can alarm
  assert.equal(loose.threshold, 0.56);
  // nothing at all is tested when there are no non-mated searches
  assert.equal(findEquitableThreshold(s.filter((x) => x.mated), ['gender'], 0.2), null);
});

const pm = (person: string, missed: boolean, labels: Record<string, string>): LabelledSearch => ({ mated: true, fta: false, mateScore: missed ? 0.1 : 0.9, nonMateScore: 0.0, labels, person });
const pn = (person: string, alarm: boolean, labels: Record<string, string>): LabelledSearch => ({ mated: false, fta: false, mateScore: NONE, nonMateScore: alarm ? 0.9 : 0.1, labels, person });

test('equity per person: one woman with 30 missed photos is one person, not 30 trials; the per-search test would call it significant', () => {
  const s = [
    ...rep(30, () => pm('F1', true, { gender: 'F' })),
    ...rep(9, (i) => rep(3, () => pm(`F${i + 2}`, false, { gender: 'F' }))).flat(),
    ...rep(30, (i) => [pm(`M${i}`, i < 3, { gender: 'M' }), pm(`M${i}`, false, { gender: 'M' })]).flat(),
    ...rep(20, (i) => pn(`NF${i}`, false, { gender: 'F' })),
    ...rep(20, (i) => pn(`NM${i}`, false, { gender: 'M' })),
  ];
  const e = equityAt(s, 'gender', 0.6);
  const fisher = e.tests.find((t) => t.metric === 'fnir')!;
  assert.ok(fisher.pAdjusted < 1e-6, `per search, 30/57 vs 3/60 looks certain: p ${fisher.pAdjusted}`);
  assert.ok(e.personTests, 'every search names its person: per-person tests');
  const welch = e.personTests.find((t) => t.metric === 'fnir')!;
  assert.ok(welch.pAdjusted > 0.05, `per person, one woman always missed and nine never are no differential: p ${welch.pAdjusted}`);
  assert.notEqual(e.verdict, 'significant', e.reason);
  assert.deepEqual(e.differentials, []);
  assert.deepEqual(e.groups.map((g) => g.people), [{ nonMated: 20, mated: 10 }, { nonMated: 20, mated: 30 }]);
  // without person names the old per-search verdict stands
  const anonymous = equityAt(s.map(({ person: _p, ...x }) => x), 'gender', 0.6);
  assert.equal(anonymous.personTests, null);
  assert.equal(anonymous.verdict, 'significant');
});

test('equity per person: a real differential is significant and stated with its direction and rates', () => {
  const s = [
    ...rep(20, (i) => [pm(`F${i}`, i < 12, { gender: 'F' }), pm(`F${i}`, i < 10, { gender: 'F' })]).flat(),
    ...rep(20, (i) => [pm(`M${i}`, i < 2, { gender: 'M' }), pm(`M${i}`, false, { gender: 'M' })]).flat(),
    ...rep(30, (i) => pn(`NF${i}`, false, { gender: 'F' })),
    ...rep(30, (i) => pn(`NM${i}`, i < 1, { gender: 'M' })),
  ];
  const e = equityAt(s, 'gender', 0.6);
  assert.equal(e.verdict, 'significant', e.reason);
  assert.equal(e.differentials.length, 1, 'FNIR only: one false alarm among 30 men is no differential');
  assert.match(e.differentials[0]!, /^gender: F missed more often than M \(FNIR 55\.0% vs 5\.0%; per person p = [0-9.e-]+\)$/);
  assert.match(e.reason, /^per person, Holm-adjusted p < 0\.05: FNIR F vs M/);
  // the other way round reads the other way round
  const flipped = equityAt(s.map((x) => ({ ...x, labels: { gender: x.labels.gender === 'F' ? 'W' : 'A' } })), 'gender', 0.6);
  assert.match(flipped.differentials[0]!, /^gender: A missed less often than W/);
});

test('Welch p: equal samples 1, clearly different samples small, matches a textbook value', () => {
  assert.equal(welchP([1, 2, 3], [1, 2, 3]), 1);
  // a = [1..5], b = [3..7]: t = -2, df = 8, two-sided p = 0.0805
  assert.ok(Math.abs(welchP([1, 2, 3, 4, 5], [3, 4, 5, 6, 7]) - 0.0805) < 5e-4, String(welchP([1, 2, 3, 4, 5], [3, 4, 5, 6, 7])));
  assert.ok(welchP([0, 0, 0, 1, 0, 0, 0, 0], [1, 1, 1, 1, 0.9, 1, 1, 1]) < 1e-3);
  assert.ok(welchP([0, 0, 0, 1], [1, 1, 1, 1, 0.9]) > 0.05, "four against five: suggestive, not significant (p 0.061)");
});

test('equity per person: three people never missed are not tested against everyone else (no variance is not certainty); ten are', () => {
  const rest = rep(40, (i) => [pm(`R${i}`, i < 16, { race: 'r' }), pm(`R${i}`, i < 20, { race: 'r' })]).flat();
  const nonMated = rep(30, (i) => pn(`N${i}`, false, { race: i % 2 ? 'r' : 's' }));
  const few = equityAt([...rest, ...rep(3, (i) => [pm(`S${i}`, false, { race: 's' }), pm(`S${i}`, false, { race: 's' })]).flat(), ...nonMated], 'race', 0.6);
  assert.equal(few.personTests!.filter((t) => t.metric === 'fnir').length, 0, 'three people: no per-person FNIR test');
  assert.notEqual(few.verdict, 'significant', few.reason);
  const ten = equityAt([...rest, ...rep(10, (i) => [pm(`S${i}`, false, { race: 's' }), pm(`S${i}`, false, { race: 's' })]).flat(), ...nonMated], 'race', 0.6);
  assert.equal(ten.verdict, 'significant', ten.reason);
  assert.match(ten.differentials[0]!, /^race: r missed more often than s \(FNIR 45\.0% vs 0\.0%; per person p = /);
});
