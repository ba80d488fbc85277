/** Repository of the biometric tables. Used ONLY by src/store/biometric-store.ts. */
import type { Queryable } from '../db.ts';
import { fromRow, insertSql } from './rows.ts';
import { TABLES } from './tables.ts';

export type BlobKind = 'watchlist_image' | 'alert_crop' | 'probe_image' | 'evaluation_templates';
export type TemplateKind = 'watchlist' | 'alert' | 'probe' | 'gallery';

export interface BlobRow {
  id: string;
  kind: BlobKind;
  ownerId: string;
  sizeBytes: number;
  createdAt: Date;
}

export interface TemplateRow {
  id: string;
  kind: TemplateKind;
  ownerId: string;
  engineId: string;
  dims: number;
  sealed: Uint8Array;
  createdAt: Date;
  /** A set loaded as one (a gallery); null for the others. */
  ownerGroup?: string | null;
}

export function biometricsRepo(q: Queryable) {
  return {
    async insertBlob(b: BlobRow): Promise<void> {
      const { sql, params } = insertSql(TABLES.biometricBlobs, { ...b });
      await q.query(sql, params);
    },
    async blob(id: string): Promise<BlobRow | undefined> {
      const [r] = await q.query('select * from biometric_blobs where id = $1', [id]);
      return r && fromRow<BlobRow>(r);
    },
    async blobsOf(ownerIds: readonly string[]): Promise<BlobRow[]> {
      if (ownerIds.length === 0) return [];
      const rows = await q.query('select * from biometric_blobs where owner_id = any($1::text[]) order by created_at, id', [ownerIds]);
      return rows.map((r) => fromRow<BlobRow>(r));
    },
    /** Blobs of one kind (all, or only those of `ownerIds`, or created before `before`), newest first. */
    async blobsOfKind(kind: BlobKind, f: { ownerIds?: readonly string[]; before?: Date } = {}): Promise<BlobRow[]> {
      const rows = await q.query(
        `select * from biometric_blobs where kind = $1 and ($2::text[] is null or owner_id = any($2::text[])) and ($3::timestamptz is null or created_at < $3)
         order by created_at desc, id`,
        [kind, f.ownerIds ?? null, f.before ?? null],
      );
      return rows.map((r) => fromRow<BlobRow>(r));
    },
    async allBlobIds(): Promise<Set<string>> {
      return new Set((await q.query<{ id: string }>('select id from biometric_blobs')).map((r) => r.id));
    },
    async deleteBlobs(ids: readonly string[]): Promise<number> {
      if (ids.length === 0) return 0;
      return (await q.query('delete from biometric_blobs where id = any($1::text[]) returning id', [ids])).length;
    },
    async insertTombstones(ids: readonly string[], at: Date): Promise<void> {
      if (ids.length === 0) return;
      await q.query('insert into biometric_tombstones (blob_id, deleted_at) select unnest($1::text[]), $2 on conflict do nothing', [ids, at]);
    },
    async tombstones(): Promise<string[]> {
      return (await q.query<{ blob_id: string }>('select blob_id from biometric_tombstones order by deleted_at, blob_id')).map((r) => r.blob_id);
    },
    async clearTombstones(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      await q.query('delete from biometric_tombstones where blob_id = any($1::text[])', [ids]);
    },
    async insertTemplate(t: TemplateRow): Promise<void> {
      const { sql, params } = insertSql(TABLES.templates, { ...t });
      await q.query(sql, params);
    },
    async templatesOf(ownerIds: readonly string[]): Promise<TemplateRow[]> {
      if (ownerIds.length === 0) return [];
      const rows = await q.query('select * from templates where owner_id = any($1::text[]) order by created_at, id', [ownerIds]);
      return rows.map((r) => fromRow<TemplateRow>(r));
    },
    async templateMeta(ownerIds: readonly string[]): Promise<Omit<TemplateRow, 'sealed'>[]> {
      if (ownerIds.length === 0) return [];
      const rows = await q.query('select id, kind, owner_id, engine_id, dims, created_at from templates where owner_id = any($1::text[])', [ownerIds]);
      return rows.map((r) => fromRow<TemplateRow>(r));
    },
    /** Every template of a group, or only those with these ids. */
    async templatesOfGroup(group: string, ids?: readonly string[]): Promise<TemplateRow[]> {
      const rows = ids
        ? await q.query('select * from templates where owner_group = $1 and id = any($2::text[]) order by id', [group, ids])
        : await q.query('select * from templates where owner_group = $1 order by id', [group]);
      return rows.map((r) => fromRow<TemplateRow>(r));
    },
    async templateIdsOfGroup(group: string): Promise<string[]> {
      return (await q.query<{ id: string }>('select id from templates where owner_group = $1', [group])).map((r) => r.id);
    },
    async deleteTemplates(ownerIds: readonly string[]): Promise<number> {
      if (ownerIds.length === 0) return 0;
      return (await q.query('delete from templates where owner_id = any($1::text[]) returning id', [ownerIds])).length;
    },
  };
}
