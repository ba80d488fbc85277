/**
 * Demographic equity of an open-set identification run: FPIR and FNIR per group with 95% confidence
 * intervals, Fisher's exact tests between groups with Holm correction, a verdict per threshold, and the
 * equitable threshold. Pure: no I/O.
 *
 * The verdict at a threshold, per label column:
 * - "significant": at least one Holm-adjusted p-value is below alpha (a statistically significant
 *   differential in FPIR or FNIR between groups).
 * - "too-small": no significant differential, but the data cannot rule one out: for some group, the upper
 *   95% Clopper-Pearson limit of its error rate exceeds `ratio` times the pooled rate (pooled rate floored at
 *   1/n pooled searches), i.e. that group could have an error rate `ratio` times everyone's without the test
 *   noticing (always so when `ratio` times the pooled rate reaches 1); or fewer than two groups have searches.
 * - "none": no significant differential, and every group's rate is bounded below `ratio` times the pooled one.
 *
 * Tests: with two groups, one Fisher test per metric (group A vs group B); with more, each group against the
 * rest of the column. The family for the Holm correction is every test of the column at that threshold
 * (of every metric compared: FPIR and FNIR by default, or only those in `options.metrics`).
 *
 * Per person (issue 15): one person's searches are not independent trials (the same face, often the same
 * reference), so a per-search Fisher test overstates significance when people have many searches. When every
 * search names its person, the verdict rests on per-person tests instead: each person's error rate (errors /
 * their searches) is one observation, and the groups' mean per-person rates are compared with Welch's t-test
 * (same pairing and Holm family as above), each side with at least MIN_PEOPLE people (a handful of people with
 * identical rates has no variance and would look certain). The per-search tests stay in `tests`. Every
 * significant differential is stated with its direction ("F missed more often than M: 20.5% vs 11.5%").
 */
import type { SearchOutcome, IdentificationPoint } from './metrics.ts';
import { identificationAt, operatingPointByFpir, prepareIdentification, minTrialsFor } from './metrics.ts';
import { clopperPearsonInterval, fisherExact, holmAdjust, regularizedBeta, wilsonInterval, type Interval } from './stats.ts';

/** A search with its demographic labels (per label column; absent or empty = unknown). */
export interface LabelledSearch extends SearchOutcome {
  readonly labels: Readonly<Record<string, string | undefined>>;
  /** Who searched (the identity): lets the tests count people, not searches. */
  readonly person?: string;
}

export interface EquityOptions {
  /** Significance level for the corrected tests. */
  alpha: number;
  /** Differential (rate ratio) that a group's sample must be able to rule out before "none" is claimed. */
  ratio: number;
  /** Which error rates are compared between groups (both by default: false alerts and missed identifications). */
  metrics: readonly ('fpir' | 'fnir')[];
}

export const DEFAULT_EQUITY: EquityOptions = { alpha: 0.05, ratio: 2, metrics: ['fpir', 'fnir'] };

export interface RateWithCi {
  errors: number;
  n: number;
  rate: number | null;
  wilson: Interval | null;
  clopperPearson: Interval | null;
}

export interface GroupResult {
  group: string;
  /** Distinct people with searches of each kind (when searches name their person). */
  people?: { nonMated: number; mated: number };
  /** FPIR among this group's non-mated searches. */
  fpir: RateWithCi;
  /** FNIR among this group's mated searches (FTA counted as misses). */
  fnir: RateWithCi;
}

export interface GroupTest {
  metric: 'fpir' | 'fnir';
  group: string;
  /** The other group, or "rest" for group-vs-rest tests. */
  versus: string;
  p: number;
  pAdjusted: number;
}

export type Verdict = 'significant' | 'none' | 'too-small';

export interface ColumnEquity {
  column: string;
  threshold: number;
  groups: GroupResult[];
  /** Per-search Fisher tests. */
  tests: GroupTest[];
  /** Per-person Welch tests (when every search names its person); the verdict rests on these then. */
  personTests: GroupTest[] | null;
  /** Each significant differential in words, with its direction and rates. */
  differentials: string[];
  verdict: Verdict;
  /** Plain-language reason for the verdict, with the sample sizes behind it. */
  reason: string;
  pooled: { fpir: RateWithCi; fnir: RateWithCi };
}

function rate(errors: number, n: number): RateWithCi {
  return { errors, n, rate: n > 0 ? errors / n : null, wilson: wilsonInterval(errors, n), clopperPearson: clopperPearsonInterval(errors, n) };
}

/** Distinct non-empty values of a label column, sorted. */
export function groupsOf(searches: readonly LabelledSearch[], column: string): string[] {
  const set = new Set<string>();
  for (const s of searches) {
    const v = s.labels[column];
    if (v !== undefined && v !== '') set.add(v);
  }
  return [...set].sort();
}

function isMiss(s: SearchOutcome, t: number): boolean {
  return s.fta || !(s.mateScore >= t && s.mateScore > s.nonMateScore);
}

function isAlarm(s: SearchOutcome, t: number): boolean {
  return !s.fta && s.nonMateScore >= t;
}

export function equityAt(searches: readonly LabelledSearch[], column: string, threshold: number, options: EquityOptions = DEFAULT_EQUITY): ColumnEquity {
  const names = groupsOf(searches, column);
  const counts = new Map(names.map((g) => [g, { alarms: 0, nonMated: 0, misses: 0, mated: 0 }]));
  for (const s of searches) {
    const g = s.labels[column];
    const c = g ? counts.get(g) : undefined;
    if (!c) continue;
    if (s.mated) {
      c.mated++;
      if (isMiss(s, threshold)) c.misses++;
    } else {
      c.nonMated++;
      if (isAlarm(s, threshold)) c.alarms++;
    }
  }
  const groups: GroupResult[] = names.map((g) => {
    const c = counts.get(g)!;
    return { group: g, fpir: rate(c.alarms, c.nonMated), fnir: rate(c.misses, c.mated) };
  });
  const sum = (f: (r: GroupResult) => number) => groups.reduce((s, r) => s + f(r), 0);
  const pooled = {
    fpir: rate(sum((r) => r.fpir.errors), sum((r) => r.fpir.n)),
    fnir: rate(sum((r) => r.fnir.errors), sum((r) => r.fnir.n)),
  };

  const raw: Omit<GroupTest, 'pAdjusted'>[] = [];
  for (const metric of options.metrics) {
    const withData = groups.filter((g) => g[metric].n > 0);
    if (withData.length < 2) continue;
    const pairs: [GroupResult, string, number, number][] =
      withData.length === 2
        ? [[withData[0]!, withData[1]!.group, withData[1]![metric].errors, withData[1]![metric].n]]
        : withData.map((g) => [g, 'rest', pooled[metric].errors - g[metric].errors, pooled[metric].n - g[metric].n]);
    for (const [g, versus, otherErrors, otherN] of pairs) {
      const r = g[metric];
      raw.push({ metric, group: g.group, versus, p: fisherExact(r.errors, r.n - r.errors, otherErrors, otherN - otherErrors) });
    }
  }
  const adjusted = holmAdjust(raw.map((t) => t.p));
  const tests: GroupTest[] = raw.map((t, i) => ({ ...t, pAdjusted: adjusted[i]! }));

  // per person: each person's error rate per metric, by group
  const byPerson = searches.every((s) => s.person !== undefined);
  let personTests: GroupTest[] | null = null;
  if (byPerson) {
    const rates = new Map<string, { fpir: Map<string, [number, number]>; fnir: Map<string, [number, number]> }>(names.map((g) => [g, { fpir: new Map(), fnir: new Map() }]));
    for (const s of searches) {
      const g = s.labels[column];
      const r = g ? rates.get(g) : undefined;
      if (!r) continue;
      const m = s.mated ? r.fnir : r.fpir;
      const c = m.get(s.person!) ?? [0, 0];
      c[0] += (s.mated ? isMiss(s, threshold) : isAlarm(s, threshold)) ? 1 : 0;
      c[1]++;
      m.set(s.person!, c);
    }
    const values = (g: string, metric: 'fpir' | 'fnir') => [...rates.get(g)![metric].values()].map(([e, n]) => e / n);
    for (const g of groups) g.people = { nonMated: rates.get(g.group)!.fpir.size, mated: rates.get(g.group)!.fnir.size };
    const rawP: Omit<GroupTest, 'pAdjusted'>[] = [];
    for (const metric of options.metrics) {
      // a group of a few people is not tested: two people never missed (zero variance) would otherwise
      // look certain against everyone else; it still shows in the confidence intervals and the verdict
      const withData = names.filter((g) => values(g, metric).length > 0);
      if (withData.length < 2) continue;
      const pairs: [string, string, number[], number[]][] =
        withData.length === 2
          ? [[withData[0]!, withData[1]!, values(withData[0]!, metric), values(withData[1]!, metric)]]
          : withData.map((g) => [g, 'rest', values(g, metric), withData.filter((o) => o !== g).flatMap((o) => values(o, metric))]);
      for (const [group, versus, a, b] of pairs) if (a.length >= MIN_PEOPLE && b.length >= MIN_PEOPLE) rawP.push({ metric, group, versus, p: welchP(a, b) });
    }
    const adj = holmAdjust(rawP.map((t) => t.p));
    personTests = rawP.map((t, i) => ({ ...t, pAdjusted: adj[i]! }));
  }
  const deciding = personTests ?? tests;
  const differentials = deciding.filter((t) => t.pAdjusted < options.alpha).map((t) => direction(t, groups, pooled, column, personTests !== null));

  const sizes = groups.map((g) => `${g.group}: ${g.fpir.n} non-mated, ${g.fnir.n} mated${g.people ? ` searches (${g.people.nonMated} and ${g.people.mated} people)` : ''}`).join('; ');
  let verdict: Verdict;
  let reason: string;
  const significant = deciding.filter((t) => t.pAdjusted < options.alpha);
  if (significant.length > 0) {
    verdict = 'significant';
    reason = `${personTests ? 'per person, ' : ''}Holm-adjusted p < ${options.alpha}: ${significant
      .map((t) => `${t.metric.toUpperCase()} ${t.group} vs ${t.versus} p=${t.pAdjusted.toPrecision(3)}`)
      .join(', ')}; ${differentials.join('; ')} (${sizes})`;
  } else {
    const weak: string[] = [];
    for (const metric of options.metrics) {
      const p = pooled[metric];
      if (groups.filter((g) => g[metric].n > 0).length < 2) {
        weak.push(`${metric.toUpperCase()}: fewer than two groups have searches`);
        continue;
      }
      const reference = Math.max(p.rate ?? 0, 1 / Math.max(1, p.n));
      for (const g of groups) {
        const ci = g[metric].clopperPearson;
        if (ci && (ci[1] > options.ratio * reference || options.ratio * reference >= 1))
          weak.push(`${metric.toUpperCase()} ${g.group} (n=${g[metric].n}, upper 95% limit ${ci[1].toPrecision(3)} > ${options.ratio}x pooled ${reference.toPrecision(3)})`);
      }
    }
    if (weak.length > 0) {
      verdict = 'too-small';
      reason = `no significant differential found, but the sample is too small to show there is none: ${weak.join('; ')}`;
    } else {
      verdict = 'none';
      reason = `no significant differential, and every group's 95% upper limit is within ${options.ratio}x the pooled rate (${sizes})`;
    }
  }
  return { column, threshold, groups, tests, personTests, differentials, verdict, reason, pooled };
}

/** Fewest people on each side of a per-person test. */
export const MIN_PEOPLE = 10;

/** Two-sided p of Welch's t-test on the means of a and b (each at least 2 values). */
export function welchP(a: readonly number[], b: readonly number[]): number {
  const stats = (x: readonly number[]) => {
    const m = x.reduce((s, v) => s + v, 0) / x.length;
    return { m, v: x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1), n: x.length };
  };
  const A = stats(a);
  const B = stats(b);
  const se2 = A.v / A.n + B.v / B.n;
  if (se2 === 0) return A.m === B.m ? 1 : 0;
  const t = (A.m - B.m) / Math.sqrt(se2);
  const df = se2 ** 2 / ((A.v / A.n) ** 2 / (A.n - 1) + (B.v / B.n) ** 2 / (B.n - 1));
  return Math.min(1, regularizedBeta(df / (df + t * t), df / 2, 0.5));
}

/** "gender: F missed more often than M (FNIR 20.5% vs 11.5%; per person p = 0.003)". */
function direction(t: GroupTest, groups: GroupResult[], pooled: { fpir: RateWithCi; fnir: RateWithCi }, column: string, perPerson: boolean): string {
  const mine = groups.find((g) => g.group === t.group)![t.metric];
  let other: RateWithCi;
  if (t.versus === 'rest') other = rate(pooled[t.metric].errors - mine.errors, pooled[t.metric].n - mine.n);
  else other = groups.find((g) => g.group === t.versus)![t.metric];
  const higher = (mine.rate ?? 0) > (other.rate ?? 0);
  const versus = t.versus === 'rest' ? `the other ${column} groups` : t.versus;
  const verb = t.metric === 'fnir' ? 'missed' : 'falsely alerted on';
  const p = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
  return `${column}: ${t.group} ${verb} ${higher ? 'more' : 'less'} often than ${versus} (${t.metric.toUpperCase()} ${p(mine.rate)} vs ${p(other.rate)}; ${perPerson ? 'per person ' : ''}p = ${t.pAdjusted.toPrecision(2)})`;
}

export interface EquitableThreshold {
  threshold: number;
  point: IdentificationPoint;
  fpirTarget: number;
  /** Enough non-mated searches to show the FPIR target (n >= 3 / target). */
  fpirTargetSupported: boolean;
  columns: ColumnEquity[];
}

/**
 * The equitable threshold: the lowest threshold whose FPIR is within `fpirTarget` and at which no label
 * column shows a significant differential. Candidates are the FPIR operating-point threshold and then every
 * multiple of `step` above it, up to the highest score seen. Null when none qualifies.
 */
export function findEquitableThreshold(
  searches: readonly LabelledSearch[],
  columns: readonly string[],
  fpirTarget: number,
  options: EquityOptions = DEFAULT_EQUITY,
  step = 0.01,
): EquitableThreshold | null {
  const set = prepareIdentification(searches);
  if (set.nonMatedSearches === 0) return null;
  const op = operatingPointByFpir(set, fpirTarget);
  const maxScore = Math.max(set.hitScores[set.hitScores.length - 1] ?? -Infinity, set.alarmScores[set.alarmScores.length - 1] ?? -Infinity);
  // when every threshold meets the target, start from the lowest score seen
  const start = Number.isFinite(op.threshold) ? op.threshold : Math.min(set.hitScores[0] ?? Infinity, set.alarmScores[0] ?? Infinity);
  const candidates = [Number.isFinite(start) ? start : op.threshold];
  if (Number.isFinite(start)) {
    for (let k = Math.floor(start / step) + 1; k * step <= maxScore + step; k++) candidates.push(Number((k * step).toFixed(10)));
  }
  for (const t of candidates) {
    const cols = columns.map((c) => equityAt(searches, c, t, options));
    if (cols.every((c) => c.verdict !== 'significant')) {
      return { threshold: t, point: identificationAt(set, t), fpirTarget, fpirTargetSupported: set.nonMatedSearches >= minTrialsFor(fpirTarget), columns: cols };
    }
  }
  return null;
}
