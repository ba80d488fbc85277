/**
 * Embedded driver: PGlite (PostgreSQL compiled to WebAssembly) with its data directory on disk.
 * A new data directory is initialised in a temporary folder and renamed into place, so a crash during
 * initdb never leaves a half-made store behind.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import type { Db, Queryable, Row, Tx } from './db.ts';

const parsers = {
  [types.INT8]: (v: string) => Number(v),
  [types.NUMERIC]: (v: string) => Number(v),
};

function wrap(q: Pick<PGlite, 'query'>): Queryable {
  return {
    async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const r = await q.query<T>(sql, params as unknown[], { parsers });
      return r.rows;
    },
  };
}

/** Open (creating if needed) an embedded store. `dataDir` undefined = in memory (tests only). */
export async function openPglite(dataDir: string | undefined): Promise<Db> {
  if (dataDir && !existsSync(dataDir)) {
    mkdirSync(dirname(dataDir), { recursive: true });
    const tmp = `${dataDir}.init-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const init = await PGlite.create({ dataDir: tmp });
    await init.close();
    renameSync(tmp, dataDir);
  }
  const pg = await PGlite.create(dataDir ? { dataDir } : {});
  const base = wrap(pg);
  return {
    kind: 'pglite',
    query: base.query,
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return pg.transaction(async (tx) => fn({ ...wrap(tx), exec: async (sql: string) => void (await tx.exec(sql)) }));
    },
    async exec(sql: string): Promise<void> {
      await pg.exec(sql);
    },
    async close(): Promise<void> {
      await pg.close();
    },
  };
}
