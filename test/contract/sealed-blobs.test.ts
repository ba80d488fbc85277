/**
 * The sealed-blob contract on files (the embedded store's default), on the database in PGlite, and on a
 * PostgreSQL server (OPENLFR_TEST_DATABASE_URL; .ci/run starts one; the default there with DATABASE_URL).
 */
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../src/store/migrate.ts';
import { openPglite } from '../../src/store/pglite-db.ts';
import { databaseBlobs, fileBlobs } from '../../src/store/sealed-blobs.ts';
import type { Db } from '../../src/store/db.ts';
import { openTestPostgres } from '../helpers/governance.ts';
import { sealedBlobsContract, type BlobsRig } from './sealed-blobs.contract.ts';

async function rig(db: Db, inDatabase: boolean): Promise<BlobsRig> {
  await migrate(db);
  const home = mkdtempSync(join(tmpdir(), 'openlfr-blobs-'));
  return {
    db,
    home,
    blobs: inDatabase ? databaseBlobs() : fileBlobs(join(home, 'blobs')),
    async close() {
      await db.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

sealedBlobsContract('files', async () => rig(await openPglite(undefined), false));
sealedBlobsContract('database (PGlite)', async () => rig(await openPglite(undefined), true));
const url = process.env.OPENLFR_TEST_DATABASE_URL;
if (url) sealedBlobsContract('database (PostgreSQL server)', async () => rig(await openTestPostgres(url), true));
else if (process.env.CI === 'true')
  test('postgresql server: OPENLFR_TEST_DATABASE_URL must be set in CI', () => {
    throw new Error('OPENLFR_TEST_DATABASE_URL is not set');
  });
