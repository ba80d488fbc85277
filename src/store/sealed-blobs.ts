/**
 * Where the biometric store (./biometric-store.ts, the only caller) keeps its sealed blobs: face images,
 * alert crops, search probes and evaluation caches, already encrypted. A small port with two
 * implementations under one contract suite (test/contract/sealed-blobs.contract.ts):
 *
 *  - files under `<home>/blobs` (the embedded store's default): written atomically and durably (temporary
 *    file, fsync, rename, fsync of the folder) before the blob's row commits;
 *  - the database (table biometric_blob_data, migration 0009), the default with DATABASE_URL: every API
 *    server and CLI on the same PostgreSQL sees the same images, and a write commits with its row.
 *
 * Each call gets the caller's connection or transaction (`q`): the database keeps blob and row in one
 * transaction; the files ignore it. Neither knows what a blob holds.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Queryable } from './db.ts';

export interface SealedBlobs {
  readonly kind: 'files' | 'database';
  /** Store `sealed` as blob `id`, durably. */
  write(q: Queryable, id: string, sealed: Uint8Array): Promise<void>;
  /** The sealed bytes, or undefined when the blob is missing. */
  read(q: Queryable, id: string): Promise<Uint8Array | undefined>;
  /** Remove blobs (missing ones are fine). */
  remove(q: Queryable, ids: readonly string[]): Promise<void>;
  /** Remove blobs not in `known` (and unfinished writes) older than `minAgeMs`; returns how many. */
  removeOrphans(q: Queryable, known: ReadonlySet<string>, minAgeMs: number): Promise<number>;
}

/** Removes a sealed file (a port, so a test can make a deletion fail half-way). */
export type RemoveFile = (path: string) => void;

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fileBlobs(dir: string, removeFile: RemoveFile = (path) => rmSync(path, { force: true })): SealedBlobs {
  const pathOf = (id: string) => join(dir, id.slice(0, 2), `${id}.sealed`);
  return {
    kind: 'files',
    async write(_q, id, sealed) {
      const path = pathOf(id);
      const folder = join(dir, id.slice(0, 2));
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const tmp = `${path}.tmp-${process.pid}`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, sealed);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      fsyncDir(folder);
    },
    async read(_q, id) {
      try {
        return readFileSync(pathOf(id));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async remove(_q, ids) {
      for (const id of ids) removeFile(pathOf(id));
    },
    async removeOrphans(_q, known, minAgeMs) {
      let folders: string[];
      try {
        folders = readdirSync(dir);
      } catch {
        return 0;
      }
      let removed = 0;
      for (const f of folders) {
        for (const name of readdirSync(join(dir, f))) {
          const id = name.replace(/\.sealed(\.tmp-\d+)?$/, '');
          const path = join(dir, f, name);
          if ((name.includes('.tmp-') || !known.has(id)) && Date.now() - statSync(path).mtimeMs >= minAgeMs) {
            rmSync(path, { force: true });
            removed++;
          }
        }
      }
      return removed;
    },
  };
}

export function databaseBlobs(): SealedBlobs {
  return {
    kind: 'database',
    async write(q, id, sealed) {
      await q.query('insert into biometric_blob_data (id, sealed, written_at) values ($1, $2, $3)', [id, sealed, new Date()]);
    },
    async read(q, id) {
      const [r] = await q.query<{ sealed: Uint8Array }>('select sealed from biometric_blob_data where id = $1', [id]);
      return r ? new Uint8Array(r.sealed.buffer, r.sealed.byteOffset, r.sealed.byteLength) : undefined;
    },
    async remove(q, ids) {
      if (ids.length) await q.query('delete from biometric_blob_data where id = any($1)', [ids]);
    },
    async removeOrphans(q, known, minAgeMs) {
      const rows = await q.query<{ id: string }>('select id from biometric_blob_data where written_at <= $1', [new Date(Date.now() - minAgeMs)]);
      const orphans = rows.map((r) => r.id).filter((id) => !known.has(id));
      await this.remove(q, orphans);
      return orphans.length;
    },
  };
}
