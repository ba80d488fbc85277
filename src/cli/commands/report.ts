import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OpenLfrError } from '../../errors.ts';
import type { Principal } from '../../governance/model.ts';
import type { Services } from '../../governance/services.ts';
import { deploymentHtml, summaryHtml, toCsv } from '../../governance/transparency-format.ts';
import { toJson } from '../../api/app.ts';
import { asOption, login, withServices } from '../governance-context.ts';

type Opts = { as?: string; json?: boolean; csv?: boolean; html?: boolean; out?: string };

function format(o: Opts): 'json' | 'csv' | 'html' {
  const chosen = (['json', 'csv', 'html'] as const).filter((f) => o[f]);
  if (chosen.length > 1) throw new OpenLfrError('BAD_REQUEST', 'Choose one of --json, --csv, --html');
  return chosen[0] ?? 'json';
}

/** Aggregate figures only: on the machine holding the store they need no login (like `audit verify`). */
async function principal(s: Services, as: string | undefined): Promise<Principal> {
  return as ? login(s, as) : { kind: 'system', name: 'transparency' };
}

function emit(text: string, out: string | undefined): void {
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}

function day(v: string, name: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw new OpenLfrError('BAD_REQUEST', `--${name}: a date as YYYY-MM-DD or ISO 8601, not "${v}"`);
  return d;
}

const options = (c: Command) =>
  asOption(c.option('--json', 'JSON (the default)').option('--csv', 'CSV, one row per deployment').option('--html', 'a self-contained HTML page').option('--out <file>', 'write to this file instead of stdout'));

export function registerReport(program: Command): void {
  const report = program.command('report').description('transparency records: the figures a force publishes');
  options(report.command('deployment <id>').description('the record of one deployment')).action(async (id: string, o: Opts) => {
    const f = format(o);
    await withServices(async (s) => {
      const rec = await s.transparency.deployment(await principal(s, o.as), id);
      emit(f === 'csv' ? toCsv([rec]) : f === 'html' ? deploymentHtml(rec) : `${JSON.stringify(toJson(rec), null, 2)}\n`, o.out);
    });
  });
  options(
    report
      .command('summary')
      .description('deployments whose window starts in [from, to), with totals')
      .requiredOption('--from <date>', 'first day (YYYY-MM-DD, UTC)')
      .requiredOption('--to <date>', 'the day after the last (YYYY-MM-DD, UTC)'),
  ).action(async (o: Opts & { from: string; to: string }) => {
    const f = format(o);
    const from = day(o.from, 'from');
    const to = day(o.to, 'to');
    await withServices(async (s) => {
      const sum = await s.transparency.summary(await principal(s, o.as), from, to);
      emit(f === 'csv' ? toCsv(sum.deployments) : f === 'html' ? summaryHtml(sum) : `${JSON.stringify(toJson(sum), null, 2)}\n`, o.out);
    });
  });
  report
    .command('searches')
    .description('retrospective searches and refusals per gallery and per month (counts only)')
    .option('--json', 'JSON (the default and only format)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (o: { out?: string }) => {
      await withServices(async (s) => emit(`${JSON.stringify(toJson(await s.searches.report(SEARCH_REPORTER)), null, 2)}\n`, o.out));
    });
}

/** Counts only (no personal data), so `report searches` runs on the machine holding the store without a login. */
const SEARCH_REPORTER: Principal = { kind: 'system', name: 'transparency-report' };
