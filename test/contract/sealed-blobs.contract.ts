/**
 * The contract of the sealed-blob port (src/store/sealed-blobs.ts), and the biometric store on top of each
 * implementation: write / read / remove / orphans, then an image through putImage, getImage, destroy with an
 * interrupted deletion finished by finishDeletes, and a crashed write cleaned by reconcile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/store/db.ts';
import type { SealedBlobs } from '../../src/store/sealed-blobs.ts';
import { BiometricStore } from '../../src/store/biometric-store.ts';
import { AuditTrail } from '../../src/governance/audit-trail.ts';
import { createDataKey } from '../../src/store/crypto.ts';
import { biometricsRepo } from '../../src/store/repositories/biometrics.ts';
import { ManualClock } from '../helpers/governance.ts';

export interface BlobsRig {
  blobs: SealedBlobs;
  db: Db;
  home: string;
  close(): Promise<void>;
}

const who = { actor: 'test', reason: 'contract' };

export function sealedBlobsContract(name: string, make: () => Promise<BlobsRig>): void {
  test(`sealed blobs contract (${name}): bytes round-trip exactly, missing is undefined, remove is idempotent, orphans go when old enough`, async () => {
    const rig = await make();
    try {
      const { blobs, db } = rig;
      const big = randomBytes(1_500_000);
      await blobs.write(db, 'aa01', big);
      await blobs.write(db, 'ab02', new Uint8Array([0, 1, 2, 255]));
      assert.deepEqual(Buffer.from((await blobs.read(db, 'aa01'))!), big);
      assert.deepEqual([...(await blobs.read(db, 'ab02'))!], [0, 1, 2, 255]);
      assert.equal(await blobs.read(db, 'ffff'), undefined);
      await blobs.remove(db, ['aa01', 'nope']);
      await blobs.remove(db, ['aa01']);
      assert.equal(await blobs.read(db, 'aa01'), undefined);
      assert.equal(await blobs.removeOrphans(db, new Set(), 60_000), 0, 'a young blob may belong to a transaction in progress');
      assert.equal(await blobs.removeOrphans(db, new Set(['ab02']), 0), 0, 'a known blob stays');
      assert.equal(await blobs.removeOrphans(db, new Set(), 0), 1);
      assert.equal(await blobs.read(db, 'ab02'), undefined);
    } finally {
      await rig.close();
    }
  });

  test(`biometric store on ${name} blobs: audited write and read, destruction finished after a crash, a crashed write reconciled`, async () => {
    const rig = await make();
    try {
      const { db } = rig;
      const clock = new ManualClock();
      const audit = new AuditTrail(clock);
      let crash = false;
      const flaky: SealedBlobs = {
        ...rig.blobs,
        remove: async (q, ids) => {
          if (crash) throw new Error('simulated crash after the rows were deleted');
          return rig.blobs.remove(q, ids);
        },
      };
      const bio = new BiometricStore({ key: createDataKey(randomBytes(32), 'test'), home: rig.home, clock, audit, blobs: flaky });
      assert.equal(bio.blobsKind, rig.blobs.kind);
      const image = randomBytes(20_000);
      const id = await db.transaction((tx) => bio.putImage(tx, 'watchlist_image', 'owner-1', image, who));
      const stored = (await rig.blobs.read(db, id))!;
      assert.equal(Buffer.from(stored).indexOf(image.subarray(0, 64)), -1, 'what is kept is sealed');
      const back = await db.transaction((tx) => bio.getImage(tx, id, who));
      assert.deepEqual(Buffer.from(back), image);
      const actions = (await db.query<{ action: string }>('select action from audit_log order by seq')).map((r) => r.action);
      assert.deepEqual(actions, ['biometric.image.write', 'biometric.image.read']);
      // a write whose transaction rolls back leaves no row; its blob (if any) is an orphan for reconcile
      await assert.rejects(
        db.transaction(async (tx) => {
          await bio.putImage(tx, 'watchlist_image', 'owner-2', randomBytes(100), who);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      await bio.reconcile(db, 0);
      assert.deepEqual([...(await biometricsRepo(db).allBlobIds())], [id]);
      // destruction: rows and tombstone commit, the blob removal crashes; finishDeletes completes it
      crash = true;
      await assert.rejects(bio.destroy(db, ['owner-1'], who), /simulated crash/);
      assert.deepEqual(await biometricsRepo(db).tombstones(), [id]);
      assert.ok(await rig.blobs.read(db, id), 'the blob is still there after the crash');
      crash = false;
      assert.equal(await bio.finishDeletes(db), 1);
      assert.equal(await rig.blobs.read(db, id), undefined);
      assert.deepEqual(await biometricsRepo(db).tombstones(), []);
      await assert.rejects(db.transaction((tx) => bio.getImage(tx, id, who)), /No image/);
    } finally {
      await rig.close();
    }
  });
}
