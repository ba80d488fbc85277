/** Repository of alerts and live counters. No biometric data here: crops go through the biometric store. */
import type { Queryable } from '../db.ts';
import type { Alert, AlertStatus, LiveCounterRow } from '../../governance/model.ts';
import { fromRow, insertSql, updateSql } from './rows.ts';
import { TABLES } from './tables.ts';

export function alertsRepo(q: Queryable) {
  return {
    async insert(a: Alert): Promise<void> {
      const { sql, params } = insertSql(TABLES.alerts, { ...a });
      await q.query(sql, params);
    },
    async byId(id: string, forUpdate = false): Promise<Alert | undefined> {
      const [r] = await q.query(`select * from alerts where id = $1${forUpdate ? ' for update' : ''}`, [id]);
      return r && fromRow<Alert>(r);
    },
    async byDeployment(deploymentId: string, status?: AlertStatus): Promise<Alert[]> {
      const rows = status
        ? await q.query('select * from alerts where deployment_id = $1 and status = $2 order by created_at desc, id', [deploymentId, status])
        : await q.query('select * from alerts where deployment_id = $1 order by created_at desc, id', [deploymentId]);
      return rows.map((r) => fromRow<Alert>(r));
    },
    async bySubject(subjectRef: string): Promise<Alert[]> {
      return (await q.query('select * from alerts where subject_ref = $1 order by created_at', [subjectRef])).map((r) => fromRow<Alert>(r));
    },
    async update(id: string, patch: Partial<Alert>): Promise<void> {
      const { sql, params } = updateSql(TABLES.alerts, id, patch);
      await q.query(sql, params);
    },
    async countPending(deploymentId: string): Promise<number> {
      const [r] = await q.query<{ n: number }>(`select count(*)::int as n from alerts where deployment_id = $1 and status = 'PENDING'`, [deploymentId]);
      return r!.n;
    },
  };
}

export function countersRepo(q: Queryable) {
  return {
    /** Add this run's counts to the camera's totals. */
    async add(c: Omit<LiveCounterRow, 'updatedAt'>, at: Date): Promise<void> {
      await q.query(
        `insert into live_counters (deployment_id, camera, frames_decoded, frames_analysed, frames_dropped, faces_detected, tracks, alerts, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (deployment_id, camera) do update set
           frames_decoded = live_counters.frames_decoded + excluded.frames_decoded,
           frames_analysed = live_counters.frames_analysed + excluded.frames_analysed,
           frames_dropped = live_counters.frames_dropped + excluded.frames_dropped,
           faces_detected = live_counters.faces_detected + excluded.faces_detected,
           tracks = live_counters.tracks + excluded.tracks,
           alerts = live_counters.alerts + excluded.alerts,
           updated_at = excluded.updated_at`,
        [c.deploymentId, c.camera, c.framesDecoded, c.framesAnalysed, c.framesDropped, c.facesDetected, c.tracks, c.alerts, at],
      );
    },
    async byDeployment(deploymentId: string): Promise<LiveCounterRow[]> {
      return (await q.query('select * from live_counters where deployment_id = $1 order by camera', [deploymentId])).map((r) => fromRow<LiveCounterRow>(r));
    },
  };
}
