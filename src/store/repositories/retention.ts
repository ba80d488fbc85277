/**
 * Repository of the retention rules, case exports and the figures of the transparency records. No
 * biometric data here: crops are deleted through the biometric store; this finds which ones are due.
 */
import type { Queryable } from '../db.ts';
import type { Alert, Calibration, Deployment } from '../../governance/model.ts';
import { fromRow, insertSql } from './rows.ts';
import { TABLES } from './tables.ts';

export interface CaseExport {
  alertId: string;
  caseRef: string;
  note: string;
  exportedBy: string;
  exportedAt: Date;
}

/** The alerts whose crop a retention rule says must go now. */
export type DueRule = 'negative-decision' | 'positive-period' | 'undecided-period';

const HELD = 'a.biometrics_deleted_at is null';
const NOT_EXPORTED = 'not exists (select 1 from alert_case_exports x where x.alert_id = a.id)';

export function retentionRepo(q: Queryable) {
  const alerts = async (sql: string, params: unknown[]): Promise<Alert[]> => (await q.query(sql, params)).map((r) => fromRow<Alert>(r));
  return {
    /** DISMISSED, or CLOSED as NOT_THE_PERSON / NO_FURTHER_ACTION, decided at or before `cutoff`. */
    negativeDue(cutoff: Date): Promise<Alert[]> {
      return alerts(
        `select a.* from alerts a where ${HELD} and (
           (a.status = 'DISMISSED' and a.operator_at <= $1)
           or (a.status = 'CLOSED' and a.outcome in ('NOT_THE_PERSON', 'NO_FURTHER_ACTION') and a.outcome_at <= $1))
         order by a.created_at, a.id`,
        [cutoff],
      );
    },
    /** CLOSED as IDENTITY_CONFIRMED / ARRESTED at or before `cutoff`, or ENGAGED with no outcome since `cutoff`; not exported. */
    positiveDue(cutoff: Date): Promise<Alert[]> {
      return alerts(
        `select a.* from alerts a where ${HELD} and ${NOT_EXPORTED} and (
           (a.status = 'CLOSED' and a.outcome in ('IDENTITY_CONFIRMED', 'ARRESTED') and a.outcome_at <= $1)
           or (a.status = 'ENGAGED' and a.operator_at <= $1))
         order by a.created_at, a.id`,
        [cutoff],
      );
    },
    /** PENDING alerts of a deployment that ended at or before `cutoff`. */
    undecidedDue(cutoff: Date): Promise<Alert[]> {
      return alerts(
        `select a.* from alerts a join deployments d on d.id = a.deployment_id
         where ${HELD} and a.status = 'PENDING' and d.state in ('CLOSED', 'CANCELLED') and d.closed_at <= $1
         order by a.created_at, a.id`,
        [cutoff],
      );
    },
    async markCropDeleted(ids: readonly string[], at: Date): Promise<void> {
      if (ids.length === 0) return;
      await q.query('update alerts set biometrics_deleted_at = $2 where id = any($1::text[]) and biometrics_deleted_at is null', [ids, at]);
    },
    async insertExport(e: CaseExport): Promise<void> {
      const { sql, params } = insertSql(TABLES.alertCaseExports, { ...e });
      await q.query(sql, params);
    },
    async exportOf(alertId: string): Promise<CaseExport | undefined> {
      const [r] = await q.query('select * from alert_case_exports where alert_id = $1', [alertId]);
      return r && fromRow<CaseExport>(r);
    },
    async exportsOf(alertIds: readonly string[]): Promise<CaseExport[]> {
      if (alertIds.length === 0) return [];
      return (await q.query('select * from alert_case_exports where alert_id = any($1::text[])', [alertIds])).map((r) => fromRow<CaseExport>(r));
    },
    async calibration(id: string): Promise<Calibration | undefined> {
      const [r] = await q.query('select * from calibrations where id = $1', [id]);
      return r && fromRow<Calibration>(r);
    },
    /** Deployments whose window starts in [from, to). */
    async deploymentsStarting(from: Date, to: Date): Promise<Deployment[]> {
      return (await q.query('select * from deployments where starts_at >= $1 and starts_at < $2 order by starts_at, id', [from, to])).map((r) => fromRow<Deployment>(r));
    },
    async deploymentsById(ids: readonly string[]): Promise<Deployment[]> {
      if (ids.length === 0) return [];
      return (await q.query('select * from deployments where id = any($1::text[])', [ids])).map((r) => fromRow<Deployment>(r));
    },
  };
}
