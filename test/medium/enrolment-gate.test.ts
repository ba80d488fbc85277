/** The enrolment quality gate with the real engine on real photos. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config.ts';
import { defaultEngine } from '../../src/governance/engine-provider.ts';
import type { FaceEngine } from '../../src/engine/port.ts';
import type { Principal } from '../../src/governance/model.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { makeRig, type TestRig } from '../helpers/governance.ts';
import { ds } from '../helpers/datasets.ts';

const photo = (p: string) => new Uint8Array(readFileSync(ds(p)));
let rig: TestRig;
let engine: FaceEngine;
let wm: Principal;
let depId: string;

const entry = (image: Uint8Array) => ({
  sourceRecordId: 'REF-1',
  category: 'WANTED_BY_COURT' as const,
  reason: 'Warrant issued for failing to appear',
  legalBasis: 'Warrant of the Crown Court at Cardiff',
  imageSource: 'custody imaging',
  captureDate: '2026-01-05',
  under18: false,
  image,
});

before(async () => {
  engine = await defaultEngine(loadConfig({ engine: { workers: 1 } }));
  rig = await makeRig({ engine });
  const users = rig.services.users;
  await users.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
  const admin = await users.checkPassword('admin', 'admin-password-1', 'test');
  await users.create(admin, { username: 'wm', displayName: 'W', roles: ['WATCHLIST_MANAGER'], password: 'wm-password-123' });
  await users.create(admin, { username: 'op', displayName: 'O', roles: ['OPERATOR'], password: 'op-password-123' });
  wm = await users.checkPassword('wm', 'wm-password-123', 'test');
  const op = await users.checkPassword('op', 'op-password-123', 'test');
  depId = (
    await rig.services.deployments.create(op, {
      name: 'd', purpose: 'Locate wanted persons in the crowd', useCase: 'wanted', locations: [{ name: 'L', reason: 'subjects expected here' }], cameras: ['c'],
      startsAt: new Date('2026-06-01T10:00:00Z'), endsAt: new Date('2026-06-01T12:00:00Z'), threshold: 0.6, dpiaRef: 'D', policyRefs: ['P'],
    })
  ).id;
});
after(async () => {
  if (rig) await rig.close();
});

test('enrolment gate (real engine): one clear face is accepted, with its measured quality and a template', async () => {
  const e = await rig.services.watchlists.enrol(wm, depId, entry(photo('hamilton/lin-manuel-miranda.png')));
  assert.equal(e.quality!.faces, 1);
  assert.ok(e.quality!.interEyePx > 80, JSON.stringify(e.quality));
  const t = await rig.db.query<{ engine_id: string; dims: number }>('select engine_id, dims from templates where owner_id = $1', [e.id]);
  assert.deepEqual(t, [{ engine_id: engine.id, dims: engine.info.dims }]);
});

test('enrolment gate (real engine): a group photo is refused as many faces, a tiny face as too small', async () => {
  await assert.rejects(rig.services.watchlists.enrol(wm, depId, entry(photo('group-photos/group-1.jpg'))), (err: unknown) => {
    assert.ok(err instanceof OpenLfrError && err.code === 'ENROLMENT_REJECTED');
    assert.match(err.message, /\d+ faces were found\. Crop the image/);
    return true;
  });
  await assert.rejects(rig.services.watchlists.enrol(wm, depId, entry(photo('hamilton/obama-240p.jpg'))), (err: unknown) => {
    assert.ok(err instanceof OpenLfrError && err.code === 'ENROLMENT_REJECTED');
    assert.match(err.message, /too small: \d+(\.\d)? px between the eyes/);
    return true;
  });
  assert.equal((await rig.services.watchlists.list(wm, depId)).length, 1);
});
