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
