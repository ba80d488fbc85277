/**
 * Opens the configured store: PostgreSQL when DATABASE_URL is set, otherwise the embedded engine in
 * `<home>/db`. Applies migrations. The embedded engine is single-process: a lock file stops a second
 * OpenLFR process from opening the same data directory (use the API of the running server instead).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OpenLfrError } from '../errors.ts';
import type { Db, Tx } from './db.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite-db.ts';
import { openPostgres } from './pg-db.ts';
import { makeRepos, type Repos } from './repositories/governance.ts';

export interface Store {
  readonly db: Db;
  /** Repositories on the database outside any transaction (single statements). */
  readonly repos: Repos;
  /** Run fn in one transaction with repositories bound to it. */
  tx<T>(fn: (r: Repos, tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function storeOn(db: Db, onClose: () => void = () => undefined): Store {
  return {
    db,
    repos: makeRepos(db),
    tx: (fn) => db.transaction((tx) => fn(makeRepos(tx), tx)),
    async close() {
      await db.close();
      onClose();
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take `<home>/db.lock` for this process; returns the release function. */
export function lockHome(home: string): () => void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = join(home, 'db.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && alive(pid)) {
        throw new OpenLfrError('STORE_LOCKED', `The embedded store in ${home} is open in another OpenLFR process (pid ${pid}). Stop it, or use its HTTP API.`, { pid });
      }
      rmSync(file, { force: true }); // stale lock from a process that died
    }
  }
  throw new OpenLfrError('STORE_LOCKED', `Could not lock the embedded store in ${home}`);
}

export interface StoreOptions {
  home: string;
  databaseUrl?: string | undefined;
}

export async function openStore(o: StoreOptions): Promise<Store> {
  if (o.databaseUrl) {
    let db: Db;
    try {
      db = await openPostgres(o.databaseUrl);
    } catch (e) {
      throw new OpenLfrError('STORE_UNAVAILABLE', `Cannot reach the PostgreSQL server in DATABASE_URL: ${(e as Error).message}`, undefined, { cause: e });
    }
    await migrate(db);
    return storeOn(db);
  }
  const release = lockHome(o.home);
  try {
    const db = await openPglite(join(o.home, 'db'));
    await migrate(db);
    return storeOn(db, release);
  } catch (e) {
    release();
    if (e instanceof OpenLfrError) throw e;
    throw new OpenLfrError('STORE_UNAVAILABLE', `Cannot open the embedded store in ${o.home}: ${(e as Error).message}`, undefined, { cause: e });
  }
}
