/** Which sealed-blob store the services use: files for the embedded store, the database when asked (the default with DATABASE_URL). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { blobStoreKind, openServices } from '../../src/governance/services.ts';
import { FakeEngine } from '../helpers/scripted-engine.ts';
import { pngBytes } from '../helpers/governance.ts';

async function enrolOne(blobStore: 'files' | 'database') {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-blobchoice-'));
  const s = await openServices(loadConfig({ home, key: randomBytes(32).toString('base64'), blobStore }, {}), async () => new FakeEngine());
  try {
    await s.users.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
    const admin = await s.users.checkPassword('admin', 'admin-password-1', 't');
    await s.users.create(admin, { username: 'wm', displayName: 'W', roles: ['WATCHLIST_MANAGER', 'OPERATOR'], password: 'wm-password-123' });
    const wm = await s.users.checkPassword('wm', 'wm-password-123', 't');
    const dep = await s.deployments.create(wm, {
      name: 'd', purpose: 'Locate wanted persons in the crowd', useCase: 'wanted', locations: [{ name: 'L', reason: 'subjects expected here' }], cameras: ['c'],
      startsAt: new Date('2030-06-01T10:00:00Z'), endsAt: new Date('2030-06-01T12:00:00Z'), threshold: 0.6, dpiaRef: 'D', policyRefs: ['P'],
    });
    const image = await pngBytes(7);
    const e = await s.watchlists.enrol(wm, dep.id, { sourceRecordId: 'R1', category: 'WANTED_BY_COURT', reason: 'Warrant issued for failing to appear', legalBasis: 'Warrant of the Crown Court', imageSource: 'custody', captureDate: '2026-01-05', under18: false, image });
    const back = await s.watchlists.image(wm, e.id, 'checking the enrolment');
    assert.deepEqual(Buffer.from(back), Buffer.from(image));
    const rows = (await s.store.db.query<{ n: number }>('select count(*)::int n from biometric_blob_data'))[0]!.n;
    return { rows, files: existsSync(join(home, 'blobs')), close: async () => { await s.close(); rmSync(home, { recursive: true, force: true }); } };
  } catch (err) {
    await s.close();
    throw err;
  }
}

test('OPENLFR_BLOB_STORE=files keeps sealed images under <home>/blobs; =database keeps them in the database and writes no file', async () => {
  const files = await enrolOne('files');
  assert.deepEqual([files.rows, files.files], [0, true]);
  await files.close();
  const db = await enrolOne('database');
  assert.deepEqual([db.rows, db.files], [1, false]);
  await db.close();
});

test('auto means files without DATABASE_URL and the database with it', () => {
  assert.equal(loadConfig({}, {}).blobStore, 'auto');
  assert.equal(loadConfig({}, { OPENLFR_BLOB_STORE: 'database' }).blobStore, 'database');
  assert.throws(() => loadConfig({}, { OPENLFR_BLOB_STORE: 'cloud' }));
  assert.equal(blobStoreKind(loadConfig({}, {})), 'files');
  assert.equal(blobStoreKind(loadConfig({}, { DATABASE_URL: 'postgres://db/openlfr' })), 'database');
  assert.equal(blobStoreKind(loadConfig({}, { DATABASE_URL: 'postgres://db/openlfr', OPENLFR_BLOB_STORE: 'files' })), 'files');
});
