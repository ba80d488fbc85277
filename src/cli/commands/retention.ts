import type { Command } from 'commander';
import { asOption, login, print, withServices } from '../governance-context.ts';

export function registerRetention(program: Command): void {
  const ret = program.command('retention').description('retention rules: the scheduled job, case exports');
  ret
    .command('run')
    .description('run the retention job once (the server runs it at start and on a timer); exit code 3 when the audit chain is broken')
    .action(async () => {
      let broken = false;
      await withServices(async (s) => {
        const r = await s.retention.run();
        const audit = r.audit ?? (await s.retention.verifyNow());
        broken = !audit.ok;
        print({ ...r, audit });
      });
      // set after the store is closed: closing the embedded engine resets process.exitCode
      if (broken) process.exitCode = 3;
    });
  asOption(ret.command('export <alertId>').description("export a confirmed alert's crop to a case: it leaves the retention clock (ENGAGEMENT_OFFICER)"))
    .requiredOption('--case <ref>', 'the case reference')
    .requiredOption('--note <text>', 'why the case needs the image')
    .action(async (id: string, o: { as?: string; case: string; note: string }) => {
      await withServices(async (s) => print(await s.retention.exportToCase(await login(s, o.as), id, o.case, o.note)));
    });
  asOption(ret.command('release <alertId>').description('the case no longer needs the crop: delete it now (ENGAGEMENT_OFFICER)'))
    .requiredOption('--reason <text>', 'why')
    .action(async (id: string, o: { as?: string; reason: string }) => {
      await withServices(async (s) => print(await s.retention.releaseFromCase(await login(s, o.as), id, o.reason)));
    });
}
