/** Repository of the camera-source allow-list and the sealed camera credentials (migration 0020). */
import type { Queryable } from '../db.ts';
import { fromRow, insertSql } from './rows.ts';
import { TABLES } from './tables.ts';

export interface AllowListRow {
  entry: string;
  kind: 'host' | 'prefix';
  reason: string;
  addedBy: string;
  addedAt: Date;
}

export function cameraSourcesRepo(q: Queryable) {
  return {
    async list(): Promise<AllowListRow[]> {
      return (await q.query('select * from camera_source_allowlist order by entry')).map((r) => fromRow<AllowListRow>(r));
    },
    async get(entry: string): Promise<AllowListRow | undefined> {
      const [r] = await q.query('select * from camera_source_allowlist where entry = $1', [entry]);
      return r && fromRow<AllowListRow>(r);
    },
    async insert(row: AllowListRow): Promise<void> {
      const { sql, params } = insertSql(TABLES.cameraSourceAllowlist, { ...row });
      await q.query(sql, params);
    },
    async remove(entry: string): Promise<boolean> {
      return (await q.query('delete from camera_source_allowlist where entry = $1 returning entry', [entry])).length === 1;
    },
    /** The sealed full camera list of a deployment, if its cameras carry credentials. */
    async secrets(deploymentId: string): Promise<Uint8Array | undefined> {
      const [r] = await q.query<{ sealed: Uint8Array }>('select sealed from deployment_camera_secrets where deployment_id = $1', [deploymentId]);
      return r?.sealed;
    },
    async putSecrets(deploymentId: string, sealed: Uint8Array, at: Date): Promise<void> {
      const { sql, params } = insertSql(TABLES.deploymentCameraSecrets, { deploymentId, sealed, updatedAt: at });
      await q.query(`${sql} on conflict (deployment_id) do update set sealed = excluded.sealed, updated_at = excluded.updated_at`, params);
    },
    async clearSecrets(deploymentId: string): Promise<void> {
      await q.query('delete from deployment_camera_secrets where deployment_id = $1', [deploymentId]);
    },
  };
}
