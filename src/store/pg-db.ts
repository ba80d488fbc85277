/** Server driver: a PostgreSQL server reached through `pg`, selected by DATABASE_URL. */
import pg from 'pg';
import type { Db, Queryable, Row, Tx } from './db.ts';

// Same normalisation as the embedded driver: int8/numeric as JS numbers.
pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

function norm(v: unknown): unknown {
  return Buffer.isBuffer(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v;
}

function normRows<T>(rows: Row[]): T[] {
  for (const r of rows) for (const k of Object.keys(r)) r[k] = norm(r[k]);
  return rows as T[];
}

function wrap(c: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const r = await c.query(sql, params as unknown[]);
      return normRows<T>(r.rows as Row[]);
    },
  };
}

export async function openPostgres(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead
  await pool.query('select 1');
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const out = await fn({ ...wrap(client), exec: async (sql: string) => void (await client.query(sql)) });
        await client.query('commit');
        return out;
      } catch (e) {
        await client.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async exec(sql: string): Promise<void> {
      await pool.query(sql);
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
