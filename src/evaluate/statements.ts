/**
 * Plain statements for `openlfr evaluate`'s text summary (issue 15): a reader who sees only the summary must
 * learn every operating point the data cannot support, every significant group differential with its
 * direction, every group too small to show anything, and what to do when the run could not measure what the
 * labels were given for. Pure: from figures already computed to sentences.
 */
import type { ColumnEquity } from './equity.ts';

export interface StatementInput {
  operatingPoints: readonly { fpir: number; threshold: number | null; supported: boolean; requiredNonMated: number; falseAlarms: number }[];
  nonMatedSearches: number;
  matedSearches: number;
  labelColumns: readonly string[];
  groupDetail: readonly ColumnEquity[];
  /** The threshold the group figures are at (the FPIR target's), or null when there is none. */
  groupsThreshold: number | null;
  fpirTarget: number;
  matedAsNonMated: boolean;
}

const sci = (x: number) => (x >= 0.01 ? String(x) : x.toExponential(0));
const n = (x: number) => x.toLocaleString('en-GB');

export function plainStatements(i: StatementInput): string[] {
  const out: string[] = [];
  const hint = !i.matedAsNonMated && i.matedSearches > 0 ? ' Run again with --mated-as-nonmated (each mated search is also searched without its own watchlist entry, as a non-mated search).' : '';

  if (i.nonMatedSearches === 0) {
    out.push(
      `NO NON-MATED SEARCHES: every searched person is on the watchlist, so no false-alert rate (FPIR), no operating point and no threshold can be measured${i.labelColumns.length ? `, and no group differential (labels ${i.labelColumns.join(', ')} were given)` : ''}.${hint}`,
    );
  }
  for (const p of i.operatingPoints) {
    if (p.supported || i.nonMatedSearches === 0) continue;
    out.push(
      `UNSUPPORTED: FPIR ${sci(p.fpir)} needs at least ${n(p.requiredNonMated)} non-mated searches and there are ${n(i.nonMatedSearches)}; its threshold${p.threshold === null ? '' : ` (${p.threshold.toFixed(4)})`} and TPIR rest on ${p.falseAlarms} false alarm(s) and are not evidence of that rate.${i.matedAsNonMated ? '' : hint}`,
    );
  }
  if (i.groupsThreshold === null) return out;
  const target = i.operatingPoints.find((p) => p.fpir === i.fpirTarget);
  const at = `at the FPIR ${sci(i.fpirTarget)} threshold ${i.groupsThreshold.toFixed(4)}${target && !target.supported ? ' (itself unsupported, above)' : ''}`;
  for (const c of i.groupDetail) {
    const unit = c.personTests ? 'tested per person' : 'tested per search';
    if (c.groups.length < 2) {
      out.push(`${c.column}: fewer than two groups with labels; nothing compared.`);
      continue;
    }
    if (c.verdict === 'significant') {
      for (const d of c.differentials) out.push(`SIGNIFICANT DIFFERENTIAL ${at} (${unit}): ${d}.`);
    } else if (c.verdict === 'too-small') {
      out.push(`${c.column}: no significant differential ${at}, but the groups are too small to show there is none (${unit}): ${c.reason}.`);
    } else {
      out.push(`${c.column}: no significant differential ${at} (${unit}).`);
    }
  }
  return out;
}
