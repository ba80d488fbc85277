/**
 * Issue 14, item 2: who may set the threshold floor. The review recorded a floor with no login, from 40
 * images, for an FPIR target of 0.9 (floor 0.5 -> 0.07, the reference bar lowered too). Each attack here is
 * refused and audited; a floor or bar that goes down waits for a second named person.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenLfrError } from '../../src/errors.ts';
import type { Principal } from '../../src/governance/model.ts';
import { createApp } from '../../src/api/app.ts';
import { client } from '../helpers/api-client.ts';
import { CALIBRATION_SAMPLE, confirmGrants, createConfirmed, makeRig, type TestRig } from '../helpers/governance.ts';

let rig: TestRig;
let call: ReturnType<typeof client>;
const p: Record<string, Principal> = {};
const tok: Record<string, string> = {};
const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;
const ENGINE = 'fake:test=000000000000';
/** Figures with a pair threshold at FMR 1e-3 (what sets the enrolment reference bar). */
const withBar = (bar: number) => ({ figures: { tarAtFmr: [{ fmr: 1e-3, threshold: bar, tar: 0.9 }] } });

before(async () => {
  rig = await makeRig();
  call = client(createApp(rig.services));
  const u = rig.services.users;
  await u.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
  p.admin = await u.checkPassword('admin', 'admin-password-1', 'test');
  await confirmGrants(rig.services, p.admin); // the second ADMIN, made while admin is the only one
  for (const [username, roles, rank] of [
    ['admin2', ['ADMIN', 'AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
    ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
    ['op', ['OPERATOR'], null],
    ['aud', ['AUDITOR'], null],
  ] as const) {
    // AUTHORISING_OFFICER, ADMIN and a rank are confirmed by a second ADMIN (issue 14, item 3a)
    await createConfirmed(rig.services, p.admin, { username, displayName: username, roles: [...roles], rank, password: `${username}-password-1` });
    p[username] = await u.checkPassword(username, `${username}-password-1`, 'test');
    tok[username] = (await call('POST', '/api/v1/sessions', null, { username, password: `${username}-password-1` })).body.token as string;
  }
});
after(async () => rig.close());

const refusals = async () =>
  (await rig.db.query<{ actor: string; action: string; details: string }>("select actor, action, details from audit_log where action like 'calibration.%.refused' order by seq")).map(
    (r) => `${r.actor} ${r.action} ${(JSON.parse(r.details) as { code: string }).code}`,
  );

test('calibration: no login, no role, a loose FPIR target or a small sample is refused, and each refusal is audited', async () => {
  const c = { engineId: ENGINE, datasetFingerprint: 'bbt:40-images', threshold: 0.07, figures: {} };
  // the attack as made: the evaluation harness itself (no person), from 40 images, FPIR target 0.9
  await assert.rejects(rig.services.calibrations.record({ kind: 'system', name: 'evaluation' }, { ...c, sample: { fpirTarget: 0.9, subjects: 8, nonMatedSearches: 32 } }), code('FORBIDDEN'));
  await assert.rejects(rig.services.calibrations.record(p.op!, { ...c, sample: CALIBRATION_SAMPLE }), code('FORBIDDEN'));
  await assert.rejects(rig.services.calibrations.record(p.admin!, { ...c, sample: { fpirTarget: 0.9, subjects: 100, nonMatedSearches: 10_000 } }), (e) => code('CALIBRATION_TARGET_TOO_LOOSE')(e) && /at most 0\.01 \(got 0\.9\)/.test((e as Error).message));
  await assert.rejects(rig.services.calibrations.record(p.admin!, { ...c, sample: { fpirTarget: 0.02, subjects: 100, nonMatedSearches: 10_000 } }), code('CALIBRATION_TARGET_TOO_LOOSE'));
  await assert.rejects(
    rig.services.calibrations.record(p.admin!, { ...c, sample: { fpirTarget: 1e-2, subjects: 8, nonMatedSearches: 32 } }),
    (e) => code('CALIBRATION_SAMPLE_TOO_SMALL')(e) && /at least 50 watchlist subjects and 300 non-mated searches .* had 8 subjects and 32 non-mated/.test((e as Error).message),
  );
  await assert.rejects(rig.services.calibrations.record(p.admin!, { ...c, sample: { fpirTarget: 1e-3, subjects: 100, nonMatedSearches: 2999 } }), code('CALIBRATION_SAMPLE_TOO_SMALL'));
  await assert.rejects(rig.services.calibrations.preflight(p.admin!, ENGINE, 0.9), code('CALIBRATION_TARGET_TOO_LOOSE'));
  assert.deepEqual(await refusals(), [
    'system:evaluation calibration.record.refused FORBIDDEN',
    'user:op calibration.record.refused FORBIDDEN',
    'user:admin calibration.record.refused CALIBRATION_TARGET_TOO_LOOSE',
    'user:admin calibration.record.refused CALIBRATION_TARGET_TOO_LOOSE',
    'user:admin calibration.record.refused CALIBRATION_SAMPLE_TOO_SMALL',
    'user:admin calibration.record.refused CALIBRATION_SAMPLE_TOO_SMALL',
    'user:admin calibration.record.refused CALIBRATION_TARGET_TOO_LOOSE',
  ]);
  assert.equal((await rig.services.calibrations.floorFor(ENGINE)).calibrationId, null, 'nothing was recorded');
  assert.equal((await rig.services.calibrations.floorFor(ENGINE)).floor, 0.5);
});

test('calibration: a lower floor, or a lower reference bar, stays PENDING until a second named person approves it (API)', async () => {
  const s = rig.services.calibrations;
  // raising the floor (0.5 -> 0.6) and keeping the bar takes effect at once
  const up = await s.record(p.admin!, { engineId: ENGINE, datasetFingerprint: 'lfw:a', threshold: 0.6, figures: withBar(0.34), sample: CALIBRATION_SAMPLE });
  assert.equal(up.status, 'ACTIVE');
  assert.equal((await s.floorFor(ENGINE)).floor, 0.6);
  rig.clock.advance(1000);
  // the floor down to 0.3: pending; the floor stays 0.6
  const down = await s.record(p.admin!, { engineId: ENGINE, datasetFingerprint: 'lfw:b', threshold: 0.3, figures: withBar(0.34), sample: CALIBRATION_SAMPLE });
  assert.equal(down.status, 'PENDING');
  assert.equal((await s.floorFor(ENGINE)).floor, 0.6);
  // the floor up but the reference bar down (0.34 -> 0.1): pending too; the bar stays
  const barDown = await s.record(p.admin!, { engineId: ENGINE, datasetFingerprint: 'lfw:c', threshold: 0.65, figures: withBar(0.1), sample: CALIBRATION_SAMPLE });
  assert.equal(barDown.status, 'PENDING');
  assert.equal((await s.referenceBarFor(ENGINE)).bar, 0.34);
  const pending = await call('GET', '/api/v1/calibrations?status=PENDING', tok.supt!);
  assert.equal(pending.status, 200);
  assert.deepEqual((pending.body as unknown as { id: string }[]).map((c) => c.id).sort(), [down.id, barDown.id].sort());
  // who may not approve: the recorder (even holding the approving role), another role, nobody logged in
  const mine = await s.record(p.admin2!, { engineId: ENGINE, datasetFingerprint: 'lfw:d', threshold: 0.2, figures: withBar(0.34), sample: CALIBRATION_SAMPLE });
  const self = await call('POST', `/api/v1/calibrations/${mine.id}/approve`, tok.admin2!, { reason: 'I measured it myself' });
  assert.equal(self.status, 403);
  assert.equal(self.body.code, 'CALIBRATION_SELF_APPROVAL');
  assert.equal((await call('POST', `/api/v1/calibrations/${down.id}/approve`, tok.aud!, { reason: 'looks fine' })).body.code, 'FORBIDDEN');
  assert.equal((await call('POST', `/api/v1/calibrations/${down.id}/approve`, null, { reason: 'looks fine' })).status, 401);
  assert.equal((await call('POST', `/api/v1/calibrations/${down.id}/approve`, tok.supt!, { reason: '' })).body.code, 'BAD_REQUEST');
  assert.equal((await call('POST', `/api/v1/calibrations/${down.id}/approve`, tok.supt!, { reason: '\u200b.... ....\u200b' })).body.code, 'BAD_REQUEST', 'dots and zero-width spaces are no reason');
  assert.equal((await s.floorFor(ENGINE)).floor, 0.6, 'nothing approved yet');
  // a second person approves: the floor is now 0.3; rejecting another leaves it out for good
  rig.clock.advance(1000);
  const ok = await call('POST', `/api/v1/calibrations/${down.id}/approve`, tok.supt!, { reason: 'figures checked against the evaluation report' });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.approvedBy, 'supt');
  assert.deepEqual(await s.floorFor(ENGINE), { floor: 0.3, calibrationId: down.id, source: (await s.floorFor(ENGINE)).source });
  assert.equal((await call('POST', `/api/v1/calibrations/${down.id}/approve`, tok.supt!, { reason: 'again please' })).body.code, 'CALIBRATION_NOT_PENDING');
  assert.equal((await call('POST', `/api/v1/calibrations/${mine.id}/reject`, tok.supt!, { reason: 'FPIR differential not examined' })).body.status, 'REJECTED');
  assert.equal((await s.floorFor(ENGINE)).calibrationId, down.id);
  const trail = await rig.db.query<{ actor: string; action: string; target: string }>("select actor, action, target from audit_log where action in ('calibration.record', 'calibration.approve', 'calibration.reject') order by seq");
  assert.deepEqual(
    trail.map((r) => `${r.actor} ${r.action} ${r.target}`),
    [`user:admin calibration.record calibration:${up.id}`, `user:admin calibration.record calibration:${down.id}`, `user:admin calibration.record calibration:${barDown.id}`, `user:admin2 calibration.record calibration:${mine.id}`, `user:supt calibration.approve calibration:${down.id}`, `user:supt calibration.reject calibration:${mine.id}`],
  );
  assert.ok((await refusals()).includes('user:admin2 calibration.approve.refused CALIBRATION_SELF_APPROVAL'));
});

test('calibration: a floor set with SQL behind the application (a PENDING one made ACTIVE, an ACTIVE one inserted) is named by audit verify', async () => {
  const s = rig.services.calibrations;
  const verify = () => rig.services.audit.verify({ kind: 'system', name: 'audit-verifier' });
  assert.equal((await verify()).ok, true);
  const pending = await s.record(p.admin!, { engineId: ENGINE, datasetFingerprint: 'lfw:e', threshold: 0.05, figures: withBar(0.34), sample: CALIBRATION_SAMPLE });
  assert.equal(pending.status, 'PENDING');
  // approved with SQL instead of by a second person: the floor would drop to 0.05
  await rig.db.exec(`update calibrations set status = 'ACTIVE', approved_by = 'supt', approved_at = now() where id = '${pending.id}'`);
  assert.equal((await s.floorFor(ENGINE)).floor, 0.05, 'the SQL edit does reach the floor ...');
  const v = await verify();
  assert.equal(v.ok, false, '... and audit verify names it');
  assert.deepEqual(v.firstBad!.row, { table: 'calibrations', id: pending.id });
  assert.match(v.firstBad!.problem, new RegExp(`calibrations row ${pending.id} differs from its state recorded by audit entry \\d+: it was changed outside OpenLFR`));
  await rig.db.exec(`update calibrations set status = 'PENDING', approved_by = null, approved_at = null where id = '${pending.id}'`);
  assert.equal((await verify()).ok, true);
  await rig.db.exec(
    `insert into calibrations (id, engine_id, dataset_fingerprint, created_at, threshold, figures, status, recorded_by) values ('cal_forged', '${ENGINE}', 'none', now(), 0.05, '{}', 'ACTIVE', 'admin')`,
  );
  const forged = await verify();
  assert.match(forged.firstBad!.problem, /calibrations row cal_forged is not in the audit trail: it was inserted outside OpenLFR/);
  await rig.db.exec(`delete from calibrations where id = 'cal_forged'`);
  assert.equal((await verify()).ok, true);
});
