import type { Command } from 'commander';
import { asOption, login, print, withServices } from '../governance-context.ts';

export function registerSubject(program: Command): void {
  asOption(
    program
      .command('subject <ref>')
      .description('subject access: was this subject on a watchlist, did an alert concern them (ADMIN, AUDITOR; audited)')
      .option('--source-id', '<ref> is the identifier in the source system (e.g. PNC ID): pseudonymised with the data key first')
      .requiredOption('--reason <text>', 'why the lookup is made (e.g. the request reference), recorded in the audit trail'),
  ).action(async (ref: string, o: { as?: string; sourceId?: boolean; reason: string }) => {
    await withServices(async (s) => {
      const p = await login(s, o.as);
      // a reference that is not of the S-… form is taken as a source-system id
      const bySource = o.sourceId === true || !/^S-/.test(ref);
      print(await s.oversight.subject(p, { ...(bySource ? { sourceRecordId: ref } : { subjectRef: ref }), reason: o.reason }));
    });
  });
}
