/**
 * `openlfr calibration`: the calibrations that set the threshold floor, and a second person's decision on
 * one that lowers the floor or the reference bar (issue 14, item 2). Recording is `openlfr evaluate --record --as`.
 */
import type { Command } from 'commander';
import { OpenLfrError } from '../../errors.ts';
import { CALIBRATION_STATES, type CalibrationState } from '../../governance/model.ts';
import { asOption, login, print, withServices } from '../governance-context.ts';

export function registerCalibration(program: Command): void {
  const cal = program.command('calibration').description('calibrations that set the threshold floor; approve or reject one that lowers it');
  asOption(cal.command('list').description('list calibrations, newest first (ADMIN, AUTHORISING_OFFICER, AUDITOR)').option('--status <status>', CALIBRATION_STATES.join(', '))).action(
    async (o: { status?: string; as?: string }) => {
      if (o.status !== undefined && !(CALIBRATION_STATES as readonly string[]).includes(o.status))
        throw new OpenLfrError('BAD_REQUEST', `--status must be one of ${CALIBRATION_STATES.join(', ')} (got "${o.status}")`);
      await withServices(async (s) => print(await s.calibrations.list(await login(s, o.as), (o.status ?? null) as CalibrationState | null)));
    },
  );
  for (const [name, decision, what] of [
    ['approve', 'APPROVE', 'approve a pending calibration: it then sets the floor (AUTHORISING_OFFICER, not who recorded it; audited)'],
    ['reject', 'REJECT', 'reject a pending calibration: it never sets the floor (AUTHORISING_OFFICER, not who recorded it; audited)'],
  ] as const) {
    asOption(cal.command(`${name} <id>`).description(what).requiredOption('--reason <text>', 'why (recorded in the audit trail)')).action(async (id: string, o: { reason: string; as?: string }) => {
      await withServices(async (s) => print(await s.calibrations.decide(await login(s, o.as), id, decision, o.reason)));
    });
  }
}
