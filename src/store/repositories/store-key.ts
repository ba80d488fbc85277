/** Repository of the store's key check (table store_key_check, migration 0018). One row, written once. */
import type { Queryable } from '../db.ts';
import { fromRow, insertSql } from './rows.ts';
import { TABLES } from './tables.ts';

export interface StoreKeyCheck {
  keyCheck: string;
  demo: boolean;
  createdAt: Date;
}

export function storeKeyRepo(q: Queryable) {
  return {
    async get(): Promise<StoreKeyCheck | undefined> {
      const [r] = await q.query('select key_check, demo, created_at from store_key_check where id = 1');
      return r && fromRow<StoreKeyCheck>(r);
    },
    /** Record the check unless one is there already (two processes starting at once: the first wins). */
    async insertIfAbsent(c: StoreKeyCheck): Promise<boolean> {
      const { sql, params } = insertSql(TABLES.storeKeyCheck, { id: 1, ...c });
      return (await q.query(`${sql} on conflict (id) do nothing returning id`, params)).length === 1;
    },
    /** Whether the store already holds anything (a store made before the key check was recorded). */
    async inUse(): Promise<boolean> {
      const [r] = await q.query<{ n: number }>('select (select count(*) from users) + (select count(*) from audit_log) as n');
      return Number(r?.n ?? 0) > 0;
    },
  };
}
