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
    /** Add counts (a run's, or what was counted since the last save) to the camera's totals, and move its
     *  resume position forward. */
    async add(c: Omit<LiveCounterRow, 'updatedAt' | 'positionSec'> & { positionSec?: number }, at: Date): Promise<void> {
      await q.query(
        `insert into live_counters (deployment_id, camera, frames_decoded, frames_analysed, frames_dropped, faces_detected, tracks, alerts, updated_at, position_sec)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (deployment_id, camera) do update set
           frames_decoded = live_counters.frames_decoded + excluded.frames_decoded,
           frames_analysed = live_counters.frames_analysed + excluded.frames_analysed,
           frames_dropped = live_counters.frames_dropped + excluded.frames_dropped,
           faces_detected = live_counters.faces_detected + excluded.faces_detected,
           tracks = live_counters.tracks + excluded.tracks,
           alerts = live_counters.alerts + excluded.alerts,
           updated_at = excluded.updated_at,
           position_sec = greatest(live_counters.position_sec, excluded.position_sec)`,
        [c.deploymentId, c.camera, c.framesDecoded, c.framesAnalysed, c.framesDropped, c.facesDetected, c.tracks, c.alerts, at, c.positionSec ?? 0],
      );
    },
    async byDeployment(deploymentId: string): Promise<LiveCounterRow[]> {
      return (await q.query('select * from live_counters where deployment_id = $1 order by camera', [deploymentId])).map((r) => fromRow<LiveCounterRow>(r));
    },
  };
}

/** The holder of a lease whose cameras ended by themselves. */
const ENDED = '(ended)';

/** Leases on LIVE deployments: which API server runs their cameras. Times are epoch milliseconds. */
export function leasesRepo(q: Queryable) {
  return {
    /** Take the lease if it is free, expired, or already ours (or, with `restart`, marked ended); true when
     *  we hold it after the call. */
    async acquire(deploymentId: string, holder: string, nowMs: number, ttlMs: number, restart = false): Promise<boolean> {
      const rows = await q.query(
        `insert into live_leases (deployment_id, holder, expires_at) values ($1, $2, $3)
         on conflict (deployment_id) do update set holder = excluded.holder, expires_at = excluded.expires_at
           where live_leases.holder = excluded.holder or live_leases.expires_at < $4 or ($5 and live_leases.holder = '${ENDED}')
         returning holder`,
        [deploymentId, holder, nowMs + ttlMs, nowMs, restart],
      );
      return rows.length === 1;
    },
    /** The cameras played to their end (recordings): no server starts them again unless a person asks. */
    async finish(deploymentId: string, holder: string): Promise<void> {
      await q.query(`update live_leases set holder = '${ENDED}', expires_at = $3 where deployment_id = $1 and holder = $2`, [deploymentId, holder, Number.MAX_SAFE_INTEGER]);
    },
    /** Give the lease up (the run stopped), so another server need not wait for it to expire. */
    async release(deploymentId: string, holder: string): Promise<void> {
      await q.query('delete from live_leases where deployment_id = $1 and holder = $2', [deploymentId, holder]);
    },
    async get(deploymentId: string): Promise<{ holder: string; expiresAt: number } | undefined> {
      const [r] = await q.query<{ holder: string; expires_at: string | number }>('select holder, expires_at from live_leases where deployment_id = $1', [deploymentId]);
      return r && { holder: r.holder, expiresAt: Number(r.expires_at) };
    },
  };
}
