/** Repository of the append-only audit log and its chain head. Used only by the audit trail. */
import type { Queryable } from '../db.ts';
import type { AuditRecord } from '../../governance/model.ts';
import { fromRow, insertSql } from './rows.ts';
import { TABLES } from './tables.ts';

export interface AuditFilter {
  action?: string | undefined;
  actor?: string | undefined;
  target?: string | undefined;
  afterSeq?: number | undefined;
  /** Only entries before this sequence number (paging backwards from the newest). */
  beforeSeq?: number | undefined;
  /** Newest first (the console's view); oldest first otherwise. */
  newestFirst?: boolean | undefined;
  limit?: number | undefined;
}

export function auditRepo(q: Queryable) {
  return {
    /** Lock and read the chain head (inside a transaction: serialises appends). */
    async lockHead(): Promise<{ count: number; headHash: string }> {
      const [r] = await q.query('select count, head_hash from audit_head where id = 1 for update');
      return fromRow(r!);
    },
    async head(): Promise<{ count: number; headHash: string }> {
      const [r] = await q.query('select count, head_hash from audit_head where id = 1');
      return fromRow(r!);
    },
    async append(rec: AuditRecord): Promise<void> {
      const { sql, params } = insertSql(TABLES.auditLog, { ...rec });
      await q.query(sql, params);
      await q.query('update audit_head set count = $1, head_hash = $2 where id = 1', [rec.seq, rec.hash]);
    },
    /** Entries in physical seq order, a page at a time. */
    async page(afterSeq: number, limit: number): Promise<AuditRecord[]> {
      const rows = await q.query('select * from audit_log where seq > $1 order by seq limit $2', [afterSeq, limit]);
      return rows.map((r) => fromRow<AuditRecord>(r));
    },
    async find(f: AuditFilter): Promise<AuditRecord[]> {
      const where: string[] = ['seq > $1'];
      const params: unknown[] = [f.afterSeq ?? 0];
      if (f.beforeSeq !== undefined) {
        params.push(f.beforeSeq);
        where.push(`seq < $${params.length}`);
      }
      for (const [col, v] of [['action', f.action], ['actor', f.actor], ['target', f.target]] as const) {
        if (v) {
          params.push(v);
          where.push(`${col} = $${params.length}`);
        }
      }
      params.push(Math.min(f.limit ?? 100, 1000));
      const rows = await q.query(`select * from audit_log where ${where.join(' and ')} order by seq ${f.newestFirst ? 'desc' : ''} limit $${params.length}`, params);
      return rows.map((r) => fromRow<AuditRecord>(r));
    },
  };
}
export type AuditRepo = ReturnType<typeof auditRepo>;

/** Tables whose rows the audit trail records the state of (issue 14, item 7), and the columns it covers (every column but retention marks). */
export const STATE_TABLES = {
  deployments: [
    'id', 'name', 'purpose', 'use_case', 'locations', 'cameras', 'starts_at', 'ends_at', 'threshold', 'dpia_ref', 'policy_refs', 'state', 'created_by', 'created_at',
    'updated_at', 'editors', 'public_notice_by', 'public_notice_at', 'public_notice_note', 'requested_by', 'requested_at', 'authorised_by', 'authorised_at', 'authority_note',
    'live_by', 'live_at', 'engine_id', 'floor', 'floor_source', 'closed_by', 'closed_at', 'close_reason', 'watchlist_frozen_at', 'watchlist_destroyed_at',
  ],
  // biometrics_deleted_at is the retention mark of the crop (its deletion is audited as biometric.destroy); not replayed
  alerts: [
    'id', 'deployment_id', 'camera', 'track_id', 'entry_id', 'subject_ref', 'category', 'priority', 'score', 'threshold', 'video_time_sec', 'shots_fused', 'created_at',
    'status', 'operator_id', 'operator_decision', 'operator_note', 'operator_at', 'outcome', 'outcome_by', 'outcome_note', 'outcome_at',
  ],
  users: ['id', 'username', 'display_name', 'password_hash', 'roles', 'rank', 'disabled', 'created_at', 'created_by'],
  // an ACTIVE row inserted with SQL would set the threshold floor with nobody's approval (issue 14, item 2)
  calibrations: ['id', 'engine_id', 'dataset_fingerprint', 'created_at', 'threshold', 'figures', 'status', 'recorded_by', 'approved_by', 'approved_at', 'decision_reason'],
} as const;
export type StateTable = keyof typeof STATE_TABLES;

/** Reads the covered columns of the state tables (for the audit trail's state hashes and their replay). */
export function auditStateRepo(q: Queryable) {
  const cols = (t: StateTable) => STATE_TABLES[t].join(', ');
  return {
    async row(table: StateTable, id: string): Promise<Record<string, unknown> | undefined> {
      const [r] = await q.query(`select ${cols(table)} from ${table} where id = $1`, [id]);
      return r;
    },
    /** Rows in id order, a page at a time. */
    async page(table: StateTable, afterId: string, limit: number): Promise<Record<string, unknown>[]> {
      return q.query(`select ${cols(table)} from ${table} where id > $1 order by id limit $2`, [afterId, limit]);
    },
    /** Migration 0022's flag: rows existed before the trail recorded states, so a baseline is due. */
    async baselineDue(): Promise<boolean> {
      const [r] = await q.query<{ due: boolean }>('select due from audit_state_baseline where id = 1');
      return r?.due === true;
    },
    /** Whether any entry of the trail records row states already (a baseline or a change since migration 0022). */
    async statesRecorded(): Promise<boolean> {
      const r = await q.query(`select 1 from audit_log where action = 'audit.state-baseline' or details like '%"rowState":[%' limit 1`);
      return r.length > 0;
    },
    async baselineTaken(): Promise<void> {
      await q.query('update audit_state_baseline set due = false where id = 1');
    },
  };
}
