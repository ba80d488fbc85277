/** The enrolment quality gate with the real engine on real photos. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.ts';
import { defaultEngine } from '../../src/governance/engine-provider.ts';
import type { FaceEngine } from '../../src/engine/port.ts';
import type { Principal } from '../../src/governance/model.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { CALIBRATION_SAMPLE, makeRig, type TestRig } from '../helpers/governance.ts';
import { ds } from '../helpers/datasets.ts';

const photo = (p: string) => new Uint8Array(readFileSync(ds(p)));
let rig: TestRig;
let engine: FaceEngine;
let wm: Principal;
let admin: Principal;
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
  admin = await users.checkPassword('admin', 'admin-password-1', 'test');
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

// LFW's 250 px photos have about 38 px between the eyes, under the gate's 40: they are enlarged 2x (which adds no
// detail) so that the test reaches the reference check rather than the resolution gate
const lfw = async (name: string, n: number) =>
  new Uint8Array(await sharp(photo(`lfw-devtrain/${name}/${name}_${String(n).padStart(4, '0')}.jpg`)).resize(500, 500, { kernel: 'lanczos3' }).jpeg({ quality: 95 }).toBuffer());
const record = async (sourceRecordId: string, image: Promise<Uint8Array>, checkOverride?: string) => ({ ...entry(await image), sourceRecordId, checkOverride });

test('reference check (real engine): a further photo must show the same person; a mis-filed one is refused unless an officer records why', async (t) => {
  // the deployment of the tests above: its own watchlist, alert threshold 0.6
  const first = await rig.services.watchlists.enrol(wm, depId, await record('PNC-MS', lfw('Michael_Schumacher', 1)));
  assert.equal(first.referenceCheck!.sameSubject.references, 0);
  assert.equal(first.referenceCheck!.sameSubject.passed, true);
  const second = await rig.services.watchlists.enrol(wm, depId, await record('PNC-MS', lfw('Michael_Schumacher', 2)));
  assert.equal(second.subjectRef, first.subjectRef);
  assert.equal(second.referenceCheck!.sameSubject.references, 1);
  assert.ok(second.referenceCheck!.sameSubject.bestScore! >= 0.34, JSON.stringify(second.referenceCheck));
  assert.equal(second.referenceCheck!.override, null);

  // lfw-devtrain's Michael_Schumacher_0008 is a photograph of Rubens Barrichello (data/lfw-devtrain-label-corrections.csv)
  const before = (await rig.db.query<{ n: number }>('select count(*)::int n from templates'))[0]!.n;
  await assert.rejects(rig.services.watchlists.enrol(wm, depId, await record('PNC-MS', lfw('Michael_Schumacher', 8))), (err: unknown) => {
    assert.ok(err instanceof OpenLfrError && err.code === 'REFERENCE_MISMATCH', String(err));
    assert.match(err.message, /scores -?0\.\d+ against the 2 photo\(s\) of S-.* below the reference bar 0\.34: it may show someone else/);
    return true;
  });
  assert.equal((await rig.db.query<{ n: number }>('select count(*)::int n from templates'))[0]!.n, before, 'nothing of the refused photo is stored');
  const refusal = await rig.db.query<{ details: string }>(`select details from audit_log where action = 'watchlist.enrol.refused' order by seq desc limit 1`);
  assert.match(refusal[0]!.details, /REFERENCE_MISMATCH/);
  const read = await rig.db.query<{ reason: string }>(`select reason from audit_log where action = 'biometric.template.read' order by seq desc limit 1`);
  assert.match(read[0]!.reason, /reference check of a new enrolment/, 'the comparison read the watchlist through the audited store');

  // an override too short is not an override
  await assert.rejects(rig.services.watchlists.enrol(wm, depId, await record('PNC-MS', lfw('Michael_Schumacher', 8), 'yes')), /REFERENCE_MISMATCH|does not match|may show someone else/);
  const forced = await rig.services.watchlists.enrol(wm, depId, await record('PNC-MS', lfw('Michael_Schumacher', 8), 'Custody record checked by hand: the photograph is of the subject'));
  assert.equal(forced.referenceCheck!.sameSubject.passed, false);
  assert.match(forced.referenceCheck!.override!, /checked by hand/);
  const audited = await rig.db.query<{ details: string }>(`select details from audit_log where action = 'watchlist.enrol' and target = $1`, [`watchlist-entry:${forced.id}`]);
  assert.match(audited[0]!.details, /checked by hand/);

  // a different record whose photo is the same face as one already on the list: enrolled, flagged for the reviewer
  const rb = await rig.services.watchlists.enrol(wm, depId, await record('PNC-RB', lfw('Rubens_Barrichello', 1)));
  assert.equal(rb.referenceCheck!.sameSubject.references, 0);
  assert.equal(rb.referenceCheck!.otherSubjects.best!.subjectRef, first.subjectRef, JSON.stringify(rb.referenceCheck));
  assert.equal(rb.referenceCheck!.otherSubjects.alertThreshold, 0.6);
  t.diagnostic(`same person ${second.referenceCheck!.sameSubject.bestScore}; mis-filed ${forced.referenceCheck!.sameSubject.bestScore}; Barrichello vs the list ${rb.referenceCheck!.otherSubjects.best!.score}`);
  const listed = (await rig.services.watchlists.list(wm, depId)).find((e) => e.id === rb.id)!;
  assert.deepEqual(listed.referenceCheck, rb.referenceCheck, 'the check is stored with the entry for the reviewer');
});

test('reference strength (real engine): with a calibration that measured it, each enrolment says where the photo falls and what that meant', async () => {
  const dep2 = (
    await rig.services.deployments.create(admin, {
      name: 'd2', purpose: 'Locate wanted persons in the crowd', useCase: 'wanted', locations: [{ name: 'L', reason: 'subjects expected here' }], cameras: ['c'],
      startsAt: new Date('2026-06-02T10:00:00Z'), endsAt: new Date('2026-06-02T12:00:00Z'), threshold: 0.6, dpiaRef: 'D', policyRefs: ['P'],
    })
  ).id;
  // no calibration for the engine yet: no verdict
  const before = await rig.services.watchlists.enrol(wm, dep2, await record('PNC-S1', lfw('Michael_Schumacher', 1)));
  assert.equal(before.referenceCheck!.strength, null);
  // the figures of a real run (test part of lfw-devtrain, labels as published, docs/accuracy.md)
  const referenceStrength = { threshold: 0.5704, cuts: [3.2809, 3.4871, 3.7086, 3.9148], bins: [0.566, 0.743, 0.77, 0.879, 0.952].map((tpir) => ({ tpir })) };
  const cal = await rig.services.calibrations.record(admin, { engineId: engine.id, datasetFingerprint: 'lfw-devtrain:test', threshold: 0.57, figures: { referenceStrength }, sample: CALIBRATION_SAMPLE });
  const e = await rig.services.watchlists.enrol(wm, dep2, await record('PNC-S2', lfw('Rubens_Barrichello', 1)));
  const s = e.referenceCheck!.strength!;
  assert.ok(s.norm > 1 && s.norm < 10, `the embedder's output length ${s.norm}`);
  assert.equal(s.bin, 1 + referenceStrength.cuts.filter((c) => s.norm >= c).length);
  assert.equal(s.weak, s.bin === 1);
  assert.equal(s.foundInBin, referenceStrength.bins[s.bin - 1]!.tpir);
  assert.equal(s.foundStrongest, 0.952);
  assert.equal(s.calibrationId, cal.id);
  const audited = await rig.db.query<{ details: string }>(`select details from audit_log where action = 'watchlist.enrol' and target = $1`, [`watchlist-entry:${e.id}`]);
  assert.match(audited[0]!.details, /"strength":\{"bin":\d,"bins":5,"calibrationId":"cal_/);
});
