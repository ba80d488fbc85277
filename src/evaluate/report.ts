/**
 * The self-contained HTML report of an evaluation: tables, inline SVG charts and the metric definitions.
 * No scripts, no network, no external fonts. Pure: returns a string.
 */
import type { EvaluationResult } from './run.ts';
import type { CalibrationRecord } from './calibration.ts';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`);
const num = (x: number | null | undefined, digits = 4) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const sci = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x === 0 ? '0' : x < 0.001 ? x.toExponential(2) : x.toPrecision(3));
const oneIn = (x: number | null | undefined) => (x === null || x === undefined || x <= 0 ? 'none seen' : `1 in ${Math.round(1 / x).toLocaleString('en-GB')}`);
const ci = (c: [number, number] | null) => (c ? `${pct(c[0], 2)} – ${pct(c[1], 2)}` : '–');

interface Series {
  name: string;
  colour: string;
  points: [number, number][];
}

interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  x: [number, number];
  y: [number, number];
  xLog?: boolean;
  yLog?: boolean;
  series: Series[];
  /** Vertical markers (for example operating thresholds). */
  marks?: { x: number; label: string }[];
}

const W = 520;
const H = 320;
const M = { l: 64, r: 16, t: 28, b: 46 };

function scale(v: number, [a, b]: [number, number], log: boolean | undefined, px0: number, px1: number): number {
  const f = log ? (Math.log10(Math.max(v, a)) - Math.log10(a)) / (Math.log10(b) - Math.log10(a)) : (v - a) / (b - a);
  return px0 + Math.min(1, Math.max(0, f)) * (px1 - px0);
}

function ticks([a, b]: [number, number], log: boolean | undefined): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.ceil(Math.log10(a)); e <= Math.floor(Math.log10(b)); e++) out.push(10 ** e);
    return out;
  }
  const step = (b - a) / 5;
  return Array.from({ length: 6 }, (_, i) => a + i * step);
}

const tickLabel = (v: number, log: boolean | undefined) => (log ? (v >= 0.01 ? String(v) : `1e${Math.round(Math.log10(v))}`) : Number(v.toFixed(2)).toString());

export function lineChart(spec: ChartSpec): string {
  const X = (v: number) => scale(v, spec.x, spec.xLog, M.l, W - M.r);
  const Y = (v: number) => scale(v, spec.y, spec.yLog, H - M.b, M.t);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(spec.title)}">`);
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" class="t">${escapeHtml(spec.title)}</text>`);
  for (const t of ticks(spec.x, spec.xLog))
    parts.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${M.t}" y2="${H - M.b}" class="g"/><text x="${X(t)}" y="${H - M.b + 14}" text-anchor="middle">${tickLabel(t, spec.xLog)}</text>`);
  for (const t of ticks(spec.y, spec.yLog))
    parts.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${Y(t)}" y2="${Y(t)}" class="g"/><text x="${M.l - 4}" y="${Y(t) + 4}" text-anchor="end">${tickLabel(t, spec.yLog)}</text>`);
  parts.push(`<rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" class="f"/>`);
  parts.push(`<text x="${(M.l + W - M.r) / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`);
  for (const m of spec.marks ?? [])
    parts.push(`<line x1="${X(m.x)}" x2="${X(m.x)}" y1="${M.t}" y2="${H - M.b}" class="m"/><text x="${X(m.x) + 3}" y="${M.t + 10}" class="ml">${escapeHtml(m.label)}</text>`);
  spec.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.xLog || x > 0) && (!spec.yLog || y > 0));
    if (pts.length > 0) parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    parts.push(`<rect x="${M.l + 8}" y="${M.t + 8 + i * 16}" width="10" height="10" fill="${s.colour}"/><text x="${M.l + 22}" y="${M.t + 17 + i * 16}">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Per-group rates with 95% CI bars, one row per group. The axis fits every rate and the intervals of the groups
 * with at least 100 searches (when there are any), so the large groups stay readable; longer bars end in an arrow.
 */
export function groupChart(title: string, rows: { label: string; n: number; rate: number | null; ci: [number, number] | null }[]): string {
  const h = M.t + 24 + rows.length * 22 + 30;
  const big = rows.filter((r) => r.n >= 100);
  const fit = big.length > 0 ? big : rows;
  const maxX = Math.min(1, Math.max(0.001, ...fit.map((r) => r.ci?.[1] ?? 0), ...rows.map((r) => r.rate ?? 0)) * 1.1);
  const x0 = Math.min(300, 20 + 6.2 * Math.max(8, ...rows.map((r) => r.label.length)));
  const width = x0 + 330;
  const x1 = width - M.r;
  const X = (v: number) => x0 + (Math.min(v, maxX) / maxX) * (x1 - x0);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img" aria-label="${escapeHtml(title)}">`];
  parts.push(`<text x="${width / 2}" y="16" text-anchor="middle" class="t">${escapeHtml(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = (maxX * k) / 4;
    parts.push(`<line x1="${X(v)}" x2="${X(v)}" y1="${M.t}" y2="${h - 30}" class="g"/><text x="${X(v)}" y="${h - 16}" text-anchor="middle">${pct(v, v < 0.01 ? 2 : 1)}</text>`);
  }
  rows.forEach((r, i) => {
    const y = M.t + 16 + i * 22;
    parts.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${escapeHtml(r.label)}</text>`);
    if (r.ci) {
      const cut = r.ci[1] > maxX;
      parts.push(`<line x1="${X(r.ci[0])}" x2="${X(r.ci[1])}" y1="${y}" y2="${y}" stroke="#333" stroke-width="2"/><line x1="${X(r.ci[0])}" x2="${X(r.ci[0])}" y1="${y - 5}" y2="${y + 5}" stroke="#333"/>`);
      parts.push(cut ? `<path d="M${x1 - 6},${y - 5} L${x1},${y} L${x1 - 6},${y + 5}" fill="none" stroke="#333"/>` : `<line x1="${X(r.ci[1])}" x2="${X(r.ci[1])}" y1="${y - 5}" y2="${y + 5}" stroke="#333"/>`);
    }
    if (r.rate !== null) parts.push(`<circle cx="${X(r.rate)}" cy="${y}" r="4" fill="#c0392b"/>`);
    else parts.push(`<text x="${x0 + 4}" y="${y + 4}">no searches</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

const DEFINITIONS = `
<dl>
<dt>Mated / non-mated search</dt><dd>A search by a person who is on the watchlist / who is not. In <code>--dataset</code> mode the first image of every identity with two or more images is its watchlist entry and its other images are mated searches; identities with a single image are non-mated searches (people walking past who are not on the list), except any used as watchlist distractors.</dd>
<dt>FTA (failure to acquire)</dt><dd>No usable face in the image. A mated search that fails to acquire is a miss at every threshold; a non-mated one raises no alarm; both stay in the denominators. A watchlist image without a usable face cannot be enrolled, and that person's searches then all miss.</dd>
<dt>TPIR (true positive identification rate)</dt><dd>Share of mated searches whose true subject is at rank 1 with a score at or above the threshold (ties for first place count as misses). FNIR = 1 − TPIR.</dd>
<dt>FPIR (false positive identification rate)</dt><dd>Share of non-mated searches returning any candidate at or above the threshold. It grows with the watchlist size N, which is always reported. "1 in X people passing" is 1/FPIR.</dd>
<dt>Operating point fixed by FPIR</dt><dd>The lowest threshold at which at most ⌊FPIR × n⌋ of the n non-mated searches alarm, and TPIR there. A point is only <em>supported</em> when n ≥ 3/FPIR: with fewer searches, even zero alarms cannot show a rate that low (rule of three: 0 events in n trials bound the rate at about 3/n with 95% confidence).</dd>
<dt>Scaling FPIR to another watchlist size</dt><dd>A non-mated search against N entries stays silent with probability (1 − p)<sup>N</sup>, p the per-comparison false match rate. "From FPIR": p = 1 − (1 − FPIR)<sup>1/N</sup>. "From FMR": p measured directly as the FMR over every non-mated comparison at that threshold. Then FPIR(N′) = 1 − (1 − p)<sup>N′</sup>. This assumes comparisons are independent; people who resemble many others make it optimistic. NPL measured false positives against a ~178,000-image reference set and scaled to watchlists of 1,000 and 10,000 the same way.</dd>
<dt>FMR / FNMR (verification, 1:1)</dt><dd>FMR: share of comparisons between different people scoring at or above the threshold (every non-mate comparison of every search with a usable face). FNMR: share of same-person comparisons (each mated search against its own watchlist entry) scoring below it; a failure to acquire counts as a non-match. TAR = 1 − FNMR, reported at the lowest threshold whose FMR is at most the target. DET: FNMR against FMR across thresholds.</dd>
<dt>LFW pairs accuracy</dt><dd>10-fold cross-validation on the pairs file: pairs are dealt into 10 balanced folds in file order; for each fold the threshold maximising accuracy on the other nine is applied to it; the figure is the mean of the ten fold accuracies (± standard deviation). A pair with an image that failed to acquire is judged "different".</dd>
<dt>Equity</dt><dd>For every label column, FPIR and FNIR per group with 95% Clopper-Pearson (exact) intervals (Wilson also in the JSON). Groups are compared with Fisher's exact test (two-sided): two groups against each other, more groups each against the rest; p-values are Holm-corrected over all tests of the column at that threshold. Verdicts: <b>significant</b> (a corrected p &lt; α); <b>none found</b> (no significant difference, and every group's upper 95% limit is within the stated ratio of the pooled rate); <b>too small</b> (no significant difference, but some group is too small to rule out such a differential: absence of evidence, not evidence of absence). An image with an empty label is left out of that column.</dd>
<dt>Equitable threshold</dt><dd>The lowest threshold whose FPIR is within the target and at which no label column shows a significant differential (candidates: the FPIR operating point, then every 0.01 above it).</dd>
</dl>`;

export function renderReport(r: EvaluationResult, calibration: CalibrationRecord | null, meta: { title: string; generatedAt: string; wallSeconds?: number }): string {
  const ops = r.operatingPoints;
  const thresholds = r.thresholds;
  const opMarks = ops.filter((o) => o.threshold !== null).map((o) => ({ x: o.threshold!, label: `FPIR ${sci(o.fpir)}` }));
  const tx: [number, number] = thresholds.length > 1 ? [thresholds[0]!.threshold, thresholds[thresholds.length - 1]!.threshold] : [0, 1];
  const minFpir = r.nonMatedSearches > 0 ? 1 / r.nonMatedSearches / 2 : 1e-4;
  const det = r.verification.det;
  const minFmr = r.verification.impostor > 0 ? 10 ** Math.floor(Math.log10(1 / r.verification.impostor)) : 1e-6;
  const minFnmr = Math.min(0.01, ...det.map((d) => d.fnmr ?? 1).filter((x) => x > 0));
  const charts = [
    lineChart({
      title: 'DET curve (verification, every comparison)',
      xLabel: 'FMR (log)',
      yLabel: 'FNMR (log)',
      x: [minFmr, 1],
      y: [10 ** Math.floor(Math.log10(minFnmr)), 1],
      xLog: true,
      yLog: true,
      series: [{ name: r.engineInfo.name, colour: '#1f5fa8', points: det.map((d) => [d.fmr ?? NaN, d.fnmr ?? NaN]) }],
    }),
    lineChart({
      title: `TPIR and FNIR vs threshold (N = ${r.watchlistSize})`,
      xLabel: 'threshold',
      yLabel: 'rate',
      x: tx,
      y: [0, 1],
      series: [
        { name: 'TPIR', colour: '#1e8449', points: thresholds.map((p) => [p.threshold, p.tpir ?? NaN]) },
        { name: 'FNIR', colour: '#c0392b', points: thresholds.map((p) => [p.threshold, p.fnir ?? NaN]) },
      ],
      marks: opMarks,
    }),
    lineChart({
      title: `FPIR vs threshold (log; N = ${r.watchlistSize}, ${r.nonMatedSearches} non-mated searches)`,
      xLabel: 'threshold',
      yLabel: 'FPIR (log)',
      x: tx,
      y: [10 ** Math.floor(Math.log10(minFpir)), 1],
      yLog: true,
      series: [{ name: 'FPIR', colour: '#8e44ad', points: thresholds.map((p) => [p.threshold, p.fpir ?? NaN]) }],
      marks: opMarks,
    }),
  ];
  const groupCharts = r.groupDetail.flatMap((c) => [
    groupChart(`FPIR by ${c.column} at ${num(c.threshold)} (95% CI)`, c.groups.map((g) => ({ label: `${g.group} (n=${g.fpir.n})`, n: g.fpir.n, rate: g.fpir.rate, ci: g.fpir.clopperPearson }))),
    groupChart(`FNIR by ${c.column} at ${num(c.threshold)} (95% CI)`, c.groups.map((g) => ({ label: `${g.group} (n=${g.fnir.n})`, n: g.fnir.n, rate: g.fnir.rate, ci: g.fnir.clopperPearson }))),
  ]);
  const e = escapeHtml;
  const rows = (cells: string[][]) => cells.map((c) => `<tr>${c.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('\n');
  const verdictText = { significant: '<b class="bad">significant differential</b>', none: '<b class="ok">none found</b>', 'too-small': '<b class="warn">sample too small to show no differential</b>' } as Record<string, string>;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(meta.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}
svg{margin:.5em 1em .5em 0;font-size:11px}svg text{fill:#222}svg .t{font-weight:bold;font-size:12px}svg .g{stroke:#e5e5e5}svg .f{fill:none;stroke:#999}svg .m{stroke:#999;stroke-dasharray:4 3}svg .ml{font-size:9px;fill:#666}
.bad{color:#b03a2e}.ok{color:#1e8449}.warn{color:#a04000}code{background:#f5f5f5;padding:0 .2em}dt{font-weight:bold;margin-top:.6em}.note{color:#555;font-size:.92em}
</style></head><body>
<h1>${e(meta.title)}</h1>
<p>Engine <code>${e(r.engine)}</code> (${e(r.engineInfo.provenance)}). Mode <code>${e(r.mode)}</code>. Generated ${e(meta.generatedAt)}${meta.wallSeconds !== undefined ? `, wall time ${meta.wallSeconds.toFixed(1)} s` : ''}.</p>
${r.statements.length ? `<h2>Plainly</h2>\n<ul>${r.statements.map((s) => `<li>${e(s)}</li>`).join('')}</ul>` : ''}
<h2>Set-up</h2>
<table><tr><th>identities</th><th>watchlist size N</th><th>distractors</th><th>mated searches</th><th>non-mated searches</th><th>FTA (all searches)</th><th>FTA mated / non-mated</th><th>unreadable</th><th>watchlist images without a face</th></tr>
<tr><td>${r.identities}</td><td>${r.watchlistSize}</td><td>${r.distractors}</td><td>${r.matedSearches}</td><td>${r.nonMatedSearches}${r.nonMatedFromMated ? ` (of which ${r.nonMatedFromMated} are mated searches run against the other N−1 entries)` : ''}</td><td>${pct(r.fta, 2)}</td><td>${r.failures.matedFta} / ${r.failures.nonMatedFta}</td><td>${r.failures.unreadable}</td><td>${r.failures.enrolmentFailures}</td></tr></table>
<h2>Open-set identification: operating points fixed by FPIR</h2>
<table><tr><th>FPIR target</th><th>threshold</th><th>TPIR</th><th>FNIR</th><th>measured FPIR</th><th>1 in X passing</th><th>FPIR scaled (from FPIR / from FMR)</th><th>sample</th></tr>
${rows(
  ops.map((o) => [
    sci(o.fpir),
    num(o.threshold),
    pct(o.tpir),
    pct(o.fnir),
    `${sci(o.measuredFpir)} (${o.falseAlarms} of ${r.nonMatedSearches})`,
    oneIn(o.measuredFpir),
    o.scaled.map((s) => `N=${s.watchlistSize.toLocaleString('en-GB')}: ${oneIn(s.fromFpir)} / ${oneIn(s.fromFmr)}`).join('<br>'),
    o.supported ? 'supported' : `<span class="warn">${e(o.note ?? 'not supported')}</span>`,
  ]),
)}
</table>
${charts.slice(1).join('\n')}
<h2>Verification (1:1)</h2>
<p>${r.verification.genuine.toLocaleString('en-GB')} same-person comparisons, ${r.verification.impostor.toLocaleString('en-GB')} different-person comparisons.</p>
<table><tr><th>FMR target</th><th>threshold</th><th>TAR</th><th>FMR measured</th><th>sample</th></tr>
${rows(r.verification.tarAtFmr.map((t) => [sci(t.targetFmr), num(t.threshold), pct(t.tar, 2), sci(t.fmr), t.supported ? 'supported' : '<span class="warn">too few comparisons</span>']))}
</table>
${charts[0]}
<h2>LFW-protocol pairs accuracy</h2>
${r.pairs ? `<p>${pct(r.pairs.accuracy, 2)} ± ${pct(r.pairs.std, 2)} over 10 folds (${r.pairs.samePairs} same, ${r.pairs.differentPairs} different pairs).</p>` : '<p>No pairs file given.</p>'}
<h2>Demographic equity</h2>
${
  r.groupsThreshold === null
    ? '<p>No labels, or FPIR could not be measured.</p>'
    : `<p>Per group at the FPIR ${sci(r.options.fpirTarget)} operating threshold ${num(r.groupsThreshold)}. Significance level α = ${r.options.equity.alpha}; "no differential" needs every group's upper 95% limit within ${r.options.equity.ratio}× the pooled rate.</p>
${r.groupDetail
  .map(
    (c) => `<h3>${e(c.column)}</h3>
<table><tr><th>group</th><th>non-mated</th><th>false alarms</th><th>FPIR (95% CI)</th><th>mated</th><th>misses</th><th>FNIR (95% CI)</th></tr>
${rows(c.groups.map((g) => [e(g.group), String(g.fpir.n), String(g.fpir.errors), `${sci(g.fpir.rate)} (${ci(g.fpir.clopperPearson)})`, String(g.fnir.n), String(g.fnir.errors), `${pct(g.fnir.rate)} (${ci(g.fnir.clopperPearson)})`]))}
</table>
<p>${verdictText[c.verdict]}: ${e(c.reason)}</p>
<table><tr><th>test</th><th>p per search (Fisher)</th><th>Holm-adjusted</th>${c.personTests ? '<th>p per person (Welch)</th><th>Holm-adjusted (decides)</th>' : ''}</tr>${rows(
      c.tests.map((t) => {
        const pp = c.personTests?.find((x) => x.metric === t.metric && x.group === t.group && x.versus === t.versus);
        return [`${t.metric.toUpperCase()} ${e(t.group)} vs ${e(t.versus)}`, t.p.toPrecision(3), t.pAdjusted.toPrecision(3), ...(c.personTests ? [pp ? pp.p.toPrecision(3) : '-', pp ? pp.pAdjusted.toPrecision(3) : '-'] : [])];
      }),
    )}</table>`,
  )
  .join('\n')}
${groupCharts.join('\n')}
<h3>Verdict per threshold</h3>
<table><tr><th>threshold</th>${r.equity[0]?.columns.map((c) => `<th>${e(c.column)}</th>`).join('') ?? ''}</tr>
${rows(r.equity.map((row) => [num(row.threshold), ...row.columns.map((c) => `${verdictText[c.verdict]}<br><span class="note">${e(c.reason)}</span>`)]))}
</table>`
}
<h2>Equitable threshold</h2>
${
  r.equitable
    ? `<p><b>${num(r.equitableThreshold)}</b>: the lowest threshold with FPIR ≤ ${sci(r.equitable.fpirTarget)} and no significant differential. There TPIR = ${pct(r.equitable.point.tpir)}, FPIR = ${sci(r.equitable.point.fpir)} (${oneIn(r.equitable.point.fpir)}).
${r.equitable.fpirTargetSupported ? '' : `<span class="warn">The ${r.nonMatedSearches} non-mated searches are too few to show an FPIR as low as ${sci(r.equitable.fpirTarget)} (at least ${Math.ceil(3 / r.equitable.fpirTarget)} needed).</span>`}</p>
<ul>${r.equitable.columns.map((c) => `<li>${e(c.column)}: ${verdictText[c.verdict]}: ${e(c.reason)}</li>`).join('')}</ul>
<p>Counting only FPIR differentials (false alerts), the equitable threshold would be ${num(r.equitableThresholdFpirOnly)}.</p>`
    : '<p>None: no label columns, or no threshold within the FPIR target is free of a significant differential.</p>'
}
${calibration ? `<p>Calibration record: dataset fingerprint <code>${e(calibration.datasetFingerprint)}</code>, created ${e(calibration.createdAt)}.</p>` : ''}
${qualitySection(r.quality)}
${strengthSection(r.referenceStrength)}
<h2>Highest-scoring non-mated searches</h2>
<p class="note">The non-mated searches closest to a watchlist entry: where a dataset has label errors (the same person under two names), they show up here.</p>
<table><tr><th>probe image</th><th>rank-1 candidate</th><th>score</th></tr>${rows(r.topNonMated.map((t) => [e(t.probe) + (t.withoutOwnEntry ? ' (a mated search, searched without its own entry)' : ''), e(t.candidate), num(t.score)]))}</table>
<h2>Definitions (ISO/IEC 19795-1, NIST FRTE 1:N)</h2>
${DEFINITIONS}
</body></html>
`;
}

/** TPIR by the strength (embedding norm) of the searched person's reference photo. */
function strengthSection(rs: EvaluationResult['referenceStrength']): string {
  if (!rs) return '';
  const thresholds = rs.bins[0]?.points.map((p) => p.threshold) ?? [];
  return `<h2>Accuracy by reference-photo strength</h2>
<p class="note">Quintiles of the watchlist subjects searched for, by the embedding norm of their reference photo (the strongest, with several). The enrolment step places a new photo among these bins from the recorded calibration and tells the watchlist manager what its bin meant. Each cell: TPIR of the bin's mated searches at the threshold.</p>
<table><tr><th>reference norm</th><th>subjects</th><th>mated searches</th>${thresholds.map((t) => `<th>at ${num(t, 3)}</th>`).join('')}</tr>
${rs.bins.map((b) => `<tr><td>${num(b.from, 2)} – ${num(b.to, 2)}</td><td>${b.subjects}</td><td>${b.matedSearches}</td>${b.points.map((p) => `<td>${pct(p.tpir)}</td>`).join('')}</tr>`).join('\n')}
</table>`;
}

/** TPIR/FPIR by quintile of the probe's quality measures, and the live quality gate's effect at fixed FPIR. */
function qualitySection(q: EvaluationResult['quality']): string {
  if (!q) return '';
  const e = escapeHtml;
  const thresholds = q.measures[0]?.bins[0]?.points.map((p) => p.threshold) ?? [];
  const g = q.gate;
  return `<h2>Accuracy by probe quality</h2>
<p class="note">Quintiles of the searched faces (mated and non-mated together). qualityScore is the live pipeline's shot score (size, frontality, sharpness, detector confidence). Each cell: TPIR / FPIR at the threshold of the operating point.</p>
<table><tr><th>measure</th><th>range</th><th>mated</th><th>non-mated</th>${thresholds.map((t) => `<th>at ${num(t, 3)}</th>`).join('')}</tr>
${q.measures.flatMap((m) => m.bins.map((b) => `<tr><td>${e(m.measure)}</td><td>${num(b.from, 1)} – ${num(b.to, 1)}</td><td>${b.mated}</td><td>${b.nonMated}</td>${b.points.map((p) => `<td>${pct(p.tpir)} / ${pct(p.fpir, 2)}</td>`).join('')}</tr>`)).join('\n')}
</table>
<p>Live quality gate (at least ${g.gate.minInterEyePx} px between the eyes, |yaw| ≤ ${g.gate.maxAbsYawDeg}°, |pitch| ≤ ${g.gate.maxAbsPitchDeg}°, sharpness ≥ ${g.gate.minSharpness}) applied to the searches: ${g.gatedMated} of ${g.matedSearches} mated and ${g.gatedNonMated} of ${g.nonMatedSearches} non-mated searches would not be searched (counted as failures to acquire).</p>
<table><tr><th>FPIR</th><th>TPIR without the gate</th><th>TPIR with the gate</th></tr>
${g.atFpir.map((a) => `<tr><td>${sci(a.fpir)}</td><td>${pct(a.before.tpir)} (t ${num(a.before.threshold, 3)})</td><td>${pct(a.after.tpir)} (t ${num(a.after.threshold, 3)})</td></tr>`).join('\n')}
</table>
${
  q.normGates.length === 0
    ? ''
    : `<p>Gates on the embedding norm (searches with a shorter raw embedding are not searched):</p>
<table><tr><th>gate</th><th>mated / non-mated not searched</th>${g.atFpir.map((a) => `<th>TPIR at FPIR ${sci(a.fpir)}: without / with</th>`).join('')}</tr>
${q.normGates.map((n) => `<tr><td>norm ≥ ${num(n.minNorm, 2)} (${pct(n.percentile, 0)} percentile)</td><td>${n.gatedMated} / ${n.gatedNonMated}</td>${n.atFpir.map((a) => `<td>${pct(a.before.tpir)} / ${pct(a.after.tpir)}</td>`).join('')}</tr>`).join('\n')}
</table>`
}`;
}
