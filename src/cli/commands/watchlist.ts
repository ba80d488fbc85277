import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OpenLfrError } from '../../errors.ts';
import type { Category } from '../../governance/model.ts';
import { asOption, login, print, withServices } from '../governance-context.ts';

export function registerWatchlist(program: Command): void {
  const wl = program.command('watchlist').description('the watchlist of a deployment');
  asOption(
    wl
      .command('enrol <deploymentId>')
      .description('enrol a subject (WATCHLIST_MANAGER); the image must pass the quality gate, and a further photo of a subject the reference check')
      .requiredOption('--image <file>')
      .requiredOption('--source-record-id <id>', 'identifier in the source system (only its keyed pseudonym is stored)')
      .requiredOption('--category <category>', 'WANTED_BY_COURT, WANTED_BY_POLICE_SUSPECT, BAIL_OR_COURT_ORDER, MISSING_AT_RISK, RISK_OF_HARM')
      .requiredOption('--reason <text>')
      .requiredOption('--legal-basis <text>')
      .requiredOption('--image-source <system>')
      .requiredOption('--capture-date <YYYY-MM-DD>')
      .option('--grounds <text>', 'grounds for suspicion (required for WANTED_BY_POLICE_SUSPECT)')
      .option('--under18', 'the subject is under 18 (needs --risk-rationale)')
      .option('--risk-rationale <text>')
      .option('--check-override <why>', "why the enrolment stands although the photo does not match the subject's other photos on this watchlist (REFERENCE_MISMATCH)"),
  ).action(async (deploymentId: string, o: Record<string, string | boolean | undefined>) => {
    let image: Uint8Array;
    try {
      image = new Uint8Array(readFileSync(String(o.image)));
    } catch (e) {
      throw new OpenLfrError('IMAGE_UNREADABLE', `Cannot read ${String(o.image)}: ${(e as Error).message}`);
    }
    await withServices(async (s) => {
      const p = await login(s, o.as as string | undefined);
      print(
        await s.watchlists.enrol(p, deploymentId, {
          sourceRecordId: String(o.sourceRecordId),
          category: String(o.category) as Category,
          reason: String(o.reason),
          legalBasis: String(o.legalBasis),
          imageSource: String(o.imageSource),
          captureDate: String(o.captureDate),
          grounds: (o.grounds as string | undefined) ?? null,
          under18: o.under18 === true,
          riskRationale: (o.riskRationale as string | undefined) ?? null,
          checkOverride: (o.checkOverride as string | undefined) ?? null,
          image,
        }),
      );
    });
  });
  asOption(wl.command('list <deploymentId>').description('list the entries (no images)')).action(async (id: string, o: { as?: string }) => {
    await withServices(async (s) => print(await s.watchlists.list(await login(s, o.as), id)));
  });
  asOption(wl.command('review <entryId>').description('review an entry (someone other than who enrolled it)').requiredOption('--note <text>')).action(
    async (id: string, o: { as?: string; note: string }) => {
      await withServices(async (s) => print(await s.watchlists.review(await login(s, o.as), id, o.note)));
    },
  );
}
