/**
 * Every governance rule, attacked through the HTTP API (services on a real in-memory store, with a
 * scripted fake engine and a hand-driven clock).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fakeFace } from '../helpers/scripted-engine.ts';
import { CALIBRATION_SAMPLE, type TestRig } from '../helpers/governance.ts';
import { apiRig, deploymentBody as baseDeployment, entryBody as baseEntry, type Person } from '../helpers/api-rig.ts';
import { client, type ApiResult } from '../helpers/api-client.ts';

let rig: TestRig;
let call: ReturnType<typeof client>;
const tok: Record<string, string> = {};
let png: string;

const DAY0 = '2026-06-01T08:00:00Z';

function expectError(r: ApiResult, status: number, code: string, msg?: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, code, JSON.stringify(r.body));
  if (msg) assert.match(String(r.body.message), msg);
}

const deploymentBody = (over: Record<string, unknown> = {}) =>
  baseDeployment({
    name: 'Cardiff city centre, match day',
    locations: [{ name: 'Queen Street', reason: 'Intelligence places two wanted subjects at this street on match days' }],
    ...over,
  });

const entryBody = (over: Record<string, unknown> = {}) => baseEntry(png, over);

const PEOPLE: Person[] = [
  ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
  ['supt2', ['AUTHORISING_OFFICER'], 'CHIEF_SUPERINTENDENT'],
  ['insp', ['AUTHORISING_OFFICER'], 'INSPECTOR'],
  ['wm1', ['WATCHLIST_MANAGER'], null],
  ['wm2', ['WATCHLIST_MANAGER'], null],
  ['op', ['OPERATOR'], null],
  ['eo', ['ENGAGEMENT_OFFICER'], null],
  ['aud', ['AUDITOR'], null],
];

before(async () => {
  const r = await apiRig(PEOPLE);
  ({ rig, call, png } = r);
  Object.assign(tok, r.tok);
});
after(async () => rig.close());

/** Draft (by op), request, enrol one reviewed entry, authorise (by supt), confirm signage. */
async function readyDeployment(over: Record<string, unknown> = {}): Promise<string> {
  rig.clock.set(DAY0);
  const id = (await call('POST', '/api/v1/deployments', tok.op, deploymentBody(over))).body.id as string;
  const e = await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody());
  assert.equal(e.status, 201, JSON.stringify(e.body));
  assert.equal((await call('POST', `/api/v1/watchlist/${e.body.id}/review`, tok.wm2, { note: 'checked against PNC' })).status, 200);
  assert.equal((await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'please authorise' })).status, 200);
  assert.equal((await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'necessary and proportionate for match day' })).status, 200);
  assert.equal((await call('POST', `/api/v1/deployments/${id}/public-notice`, tok.op, { note: 'signs at both ends of the street' })).status, 200);
  return id;
}

test('api: no token, a bad token, malformed JSON, unknown routes and fields get catalogue errors', async () => {
  expectError(await call('GET', '/api/v1/deployments'), 401, 'UNAUTHENTICATED');
  expectError(await call('GET', '/api/v1/deployments', 'not-a-token'), 401, 'UNAUTHENTICATED');
  expectError(await call('POST', '/api/v1/sessions', null, { username: 'admin', password: 'wrong-password' }), 401, 'AUTH_FAILED');
  expectError(await call('POST', '/api/v1/sessions', null, { username: 'nobody', password: 'wrong-password' }), 401, 'AUTH_FAILED');
  // password guessing: the fifth wrong password locks the account; then 429 with Retry-After
  for (let i = 0; i < 4; i++) expectError(await call('POST', '/api/v1/sessions', null, { username: 'nobody', password: `guess-${i}` }), 401, 'AUTH_FAILED');
  const throttled = await call('POST', '/api/v1/sessions', null, { username: 'nobody', password: 'wrong-password' });
  expectError(throttled, 429, 'AUTH_THROTTLED');
  assert.ok(Number(throttled.raw.headers.get('retry-after')) > 0, 'Retry-After says how long to wait');
  expectError(await call('POST', '/api/v1/deployments', tok.op, undefined, '{"name": '), 400, 'BAD_REQUEST');
  const missing = await call('POST', '/api/v1/deployments', tok.op, { name: 'x' });
  expectError(missing, 400, 'BAD_REQUEST', /Purpose is required/);
  expectError(await call('POST', '/api/v1/deployments', tok.op, { ...deploymentBody(), extra: 1 }), 400, 'BAD_REQUEST');
  expectError(await call('GET', '/api/v1/nowhere', tok.op), 404, 'NOT_FOUND');
  expectError(await call('GET', '/api/v1/deployments/dep_missing', tok.op), 404, 'NOT_FOUND');
  const doc = await call('GET', '/openapi.json');
  assert.equal(doc.status, 200);
  assert.ok((doc.body.paths as Record<string, unknown>)['/api/v1/deployments/{id}/go-live']);
  assert.ok(((doc.body.components as { schemas: Record<string, unknown> }).schemas).Enrolment);
});

test('api: only an ADMIN manages users; an authorising officer needs a rank; logout revokes the token', async () => {
  expectError(await call('POST', '/api/v1/users', tok.op, { username: 'x1', displayName: 'x', roles: ['ADMIN'], password: 'long-enough-pw' }), 403, 'FORBIDDEN');
  expectError(await call('POST', '/api/v1/users', tok.admin, { username: 'x2', displayName: 'x', roles: ['AUTHORISING_OFFICER'], password: 'long-enough-pw' }), 422, 'RULE_VIOLATION', /rank/);
  expectError(await call('POST', '/api/v1/users', tok.admin, { username: 'x3', displayName: 'x', roles: ['OPERATOR'], password: 'short' }), 400, 'BAD_REQUEST');
  expectError(await call('POST', '/api/v1/users', tok.admin, { username: 'x4', displayName: 'x', roles: ['SUPERUSER'], password: 'long-enough-pw' }), 400, 'BAD_REQUEST');
  const t = (await call('POST', '/api/v1/sessions', null, { username: 'eo', password: 'eo-password-1' })).body.token as string;
  assert.equal((await call('GET', '/api/v1/me', t)).body.username, 'eo');
  assert.equal((await call('DELETE', '/api/v1/sessions', t)).status, 200);
  expectError(await call('GET', '/api/v1/me', t), 401, 'UNAUTHENTICATED');
  await assert.rejects(rig.services.users.bootstrap({ username: 'admin2', displayName: 'x', roles: ['ADMIN'], password: 'long-enough-pw' }), /empty store/);
});

test('api: accounts are disabled, re-enabled, re-roled and reset by an ADMIN with a reason; never their own', async () => {
  const mk = await call('POST', '/api/v1/users', tok.admin, { username: 'leaver', displayName: 'Leaver', roles: ['OPERATOR'], password: 'leaver-password-1' });
  assert.equal(mk.status, 201);
  const t = (await call('POST', '/api/v1/sessions', null, { username: 'leaver', password: 'leaver-password-1' })).body.token as string;
  expectError(await call('POST', '/api/v1/users/leaver/disable', tok.op, { reason: 'left the force' }), 403, 'FORBIDDEN');
  expectError(await call('POST', '/api/v1/users/leaver/disable', tok.admin, {}), 400, 'BAD_REQUEST');
  expectError(await call('POST', '/api/v1/users/admin/disable', tok.admin, { reason: 'going on leave' }), 422, 'RULE_VIOLATION', /your own/);
  expectError(await call('POST', '/api/v1/users/nobody/disable', tok.admin, { reason: 'left the force' }), 404, 'NOT_FOUND');
  const off = await call('POST', '/api/v1/users/leaver/disable', tok.admin, { reason: 'left the force on 31 May' });
  assert.equal(off.status, 200, JSON.stringify(off.body));
  assert.equal(off.body.disabled, true);
  expectError(await call('GET', '/api/v1/me', t), 401, 'UNAUTHENTICATED');
  expectError(await call('POST', '/api/v1/sessions', null, { username: 'leaver', password: 'leaver-password-1' }), 401, 'AUTH_FAILED');
  assert.equal((await call('POST', '/api/v1/users/leaver/enable', tok.admin, { reason: 'returned from secondment' })).body.disabled, false);
  const t2 = (await call('POST', '/api/v1/sessions', null, { username: 'leaver', password: 'leaver-password-1' })).body.token as string;
  const re = await call('PUT', '/api/v1/users/leaver/roles', tok.admin, { roles: ['AUDITOR'], reason: 'moved to professional standards' });
  assert.equal(re.status, 200, JSON.stringify(re.body));
  assert.deepEqual((await call('GET', '/api/v1/me', t2)).body.roles, ['AUDITOR'], 'the new roles apply to the open session');
  expectError(await call('PUT', '/api/v1/users/admin/roles', tok.admin, { roles: ['ADMIN', 'AUTHORISING_OFFICER'], rank: 'SUPERINTENDENT', reason: 'self-promotion' }), 422, 'RULE_VIOLATION', /your own/);
  expectError(await call('PUT', '/api/v1/users/leaver/roles', tok.admin, { roles: ['AUTHORISING_OFFICER'], reason: 'promoted' }), 422, 'RULE_VIOLATION', /rank/);
  // own password with the current one; then every session of the account has ended
  expectError(await call('POST', '/api/v1/users/leaver/password', t2, { newPassword: 'leaver-password-2', currentPassword: 'not-it-at-all' }), 401, 'AUTH_FAILED');
  assert.equal((await call('POST', '/api/v1/users/leaver/password', t2, { newPassword: 'leaver-password-2', currentPassword: 'leaver-password-1' })).status, 200);
  expectError(await call('GET', '/api/v1/me', t2), 401, 'UNAUTHENTICATED');
  expectError(await call('POST', '/api/v1/users/leaver/password', tok.admin, { newPassword: 'leaver-password-3' }), 400, 'BAD_REQUEST', /reason/);
  assert.equal((await call('POST', '/api/v1/users/leaver/password', tok.admin, { newPassword: 'leaver-password-3', reason: 'forgotten, identity checked' })).status, 200);
  assert.equal((await call('POST', '/api/v1/sessions', null, { username: 'leaver', password: 'leaver-password-3' })).status, 201);
});

test('api: watchlist entries need a closed category, grounds for suspects, a rationale for children, and a second reviewer', async () => {
  rig.clock.set(DAY0);
  const id = (await call('POST', '/api/v1/deployments', tok.op, deploymentBody())).body.id as string;
  expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.op, entryBody()), 403, 'FORBIDDEN');
  expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ category: 'OTHER' })), 400, 'BAD_REQUEST', /Category must be one of/);
  expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ category: 'WANTED_BY_POLICE_SUSPECT' })), 422, 'RULE_VIOLATION', /grounds/);
  expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ under18: true })), 422, 'RULE_VIOLATION', /under 18/);
  expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ captureDate: '2027-01-01' })), 422, 'RULE_VIOLATION', /future/);
  expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ imageBase64: Buffer.from('not an image').toString('base64') })), 400, 'IMAGE_UNREADABLE');
  const ok = await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ category: 'WANTED_BY_POLICE_SUSPECT', grounds: 'Named by two witnesses to the robbery', under18: true, riskRationale: 'Armed and a risk to the public; no less intrusive means' }));
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.match(String(ok.body.subjectRef), /^S-[A-Za-z0-9_-]{22}$/);
  assert.ok(!JSON.stringify(ok.body).includes('PNC-26'), 'the source identifier is never stored or returned');
  expectError(await call('POST', `/api/v1/watchlist/${ok.body.id}/review`, tok.wm1, { note: 'my own' }), 403, 'REVIEW_SELF');
  expectError(await call('POST', `/api/v1/watchlist/${ok.body.id}/review`, tok.op, { note: 'not my job' }), 403, 'FORBIDDEN');
  assert.equal((await call('POST', `/api/v1/watchlist/${ok.body.id}/review`, tok.wm2, { note: 'checked' })).body.reviewedBy !== null, true);
});

test('api: the enrolment quality gate rejects each failing image with a reason to act on', async () => {
  rig.clock.set(DAY0);
  const id = (await call('POST', '/api/v1/deployments', tok.op, deploymentBody())).body.id as string;
  const eid = rig.engine.id;
  const cases: [Parameters<typeof rig.engine.plan>[0], RegExp][] = [
    [[], /No face was found/],
    [[fakeFace(eid), fakeFace(eid), fakeFace(eid)], /3 faces were found.*Crop/],
    [[fakeFace(eid, { interEyePx: 18 })], /too small: 18 px.*at least 40/],
    [[fakeFace(eid, { yawDeg: 41 })], /head is turned \(yaw 41/],
    [[fakeFace(eid, { pitchDeg: -35 })], /pitch -35/],
    [[fakeFace(eid, { sharpness: 12 })], /blurred \(sharpness 12/],
  ];
  for (const [faces, why] of cases) {
    rig.engine.plan(faces);
    const r = await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody());
    expectError(r, 422, 'ENROLMENT_REJECTED', why);
    assert.ok(Array.isArray((r.body.details as { failures: unknown[] }).failures));
  }
  const list = (await call('GET', `/api/v1/deployments/${id}/watchlist`, tok.wm1)).body as unknown as unknown[];
  assert.deepEqual(list, [], 'rejected images leave no entry');
  const blobs = await rig.db.query<{ n: number }>('select count(*)::int n from biometric_blobs b join watchlist_entries e on e.id = b.owner_id where e.deployment_id = $1', [id]);
  assert.equal(blobs[0]!.n, 0, 'rejected images are not stored');
  const refused = await rig.services.audit.list({ kind: 'user', user: { id: 'x', username: 'aud', displayName: '', roles: ['AUDITOR'], rank: null, disabled: false, createdAt: new Date(), createdBy: null } }, { action: 'watchlist.enrol.refused', target: `deployment:${id}` });
  assert.equal(refused.length, cases.length);
});

function readdirSafe(p: string): string[] {
  try {
    return readdirSync(p, { recursive: true }) as string[];
  } catch {
    return [];
  }
}

test('api: authority needs an authorising officer of Superintendent rank who did not draft or request it', async () => {
  rig.clock.set(DAY0);
  const id = (await call('POST', '/api/v1/deployments', tok.supt, deploymentBody())).body.id as string;
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt2, { note: 'looks fine to me' }), 409, 'DEPLOYMENT_STATE', /not been requested/);
  assert.equal((await call('POST', `/api/v1/deployments/${id}/request`, tok.supt, { note: 'for match day' })).status, 200);
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.op, { note: 'operators cannot' }), 403, 'FORBIDDEN');
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.insp, { note: 'inspector is too junior' }), 403, 'AUTHORITY_RANK', /INSPECTOR/);
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'authorising my own' }), 403, 'AUTHORITY_SELF');
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt2, {}), 400, 'BAD_REQUEST', /note/);
  const ok = await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt2, { note: 'necessary and proportionate' });
  assert.equal(ok.body.state, 'AUTHORISED');
  expectError(await call('PATCH', `/api/v1/deployments/${id}`, tok.supt, { threshold: 0.9 }), 409, 'DEPLOYMENT_STATE');
  const refusals = await rig.services.audit.list({ kind: 'user', user: { id: 'x', username: 'aud', displayName: '', roles: ['AUDITOR'], rank: null, disabled: false, createdAt: new Date(), createdBy: null } }, { action: 'deployment.authorise.refused' });
  assert.deepEqual(refusals.map((r) => JSON.parse(r.details).code), ['DEPLOYMENT_STATE', 'AUTHORITY_RANK', 'AUTHORITY_SELF', 'BAD_REQUEST']);
});

test('api: go-live is refused without authority, outside the window, without signage, with unreviewed entries, and under the floor', async () => {
  rig.clock.set(DAY0);
  const id = (await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ threshold: 0.55 }))).body.id as string;
  const e = await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody());
  expectError(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op), 422, 'NOT_AUTHORISED');
  await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'please' });
  await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'necessary and proportionate' });
  expectError(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.eo), 403, 'FORBIDDEN');
  expectError(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op), 422, 'OUTSIDE_WINDOW'); // 08:00, window opens 10:00
  rig.clock.set('2026-06-01T10:30:00Z');
  expectError(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op), 422, 'PUBLIC_NOTICE_MISSING');
  await call('POST', `/api/v1/deployments/${id}/public-notice`, tok.op, { note: 'signs up' });
  const unrev = await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op);
  expectError(unrev, 422, 'WATCHLIST_UNREVIEWED');
  assert.deepEqual((unrev.body.details as { entries: string[] }).entries, [e.body.id]);
  await call('POST', `/api/v1/watchlist/${e.body.id}/review`, tok.wm2, { note: 'checked' });
  const admin = await rig.services.users.checkPassword('admin', 'admin-password-1', 'test');
  const cal = await rig.services.calibrations.record(admin, { engineId: rig.engine.id, datasetFingerprint: 'lfw-devtrain:abc', threshold: 0.6, figures: { fmr: 0.001 }, sample: CALIBRATION_SAMPLE });
  assert.equal(cal.status, 'ACTIVE', 'raising the floor takes effect at once');
  const under = await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op);
  expectError(under, 422, 'THRESHOLD_BELOW_FLOOR', new RegExp(`0\\.55 is below the floor 0\\.6 set by calibration ${cal.id}`));
  rig.clock.advance(1000);
  // lowering it waits for a second person (issue 14, item 2)
  const lower = await rig.services.calibrations.record(admin, { engineId: rig.engine.id, datasetFingerprint: 'lfw-devtrain:def', threshold: 0.52, figures: {}, sample: CALIBRATION_SAMPLE });
  assert.equal(lower.status, 'PENDING');
  expectError(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op), 422, 'THRESHOLD_BELOW_FLOOR', /below the floor 0\.6/);
  expectError(await call('POST', `/api/v1/calibrations/${lower.id}/approve`, tok.admin, { reason: 'my own measurement' }), 403, 'FORBIDDEN');
  const approved = await call('POST', `/api/v1/calibrations/${lower.id}/approve`, tok.supt, { reason: 'figures checked against the report' });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  assert.equal(approved.body.status, 'ACTIVE');
  const live = await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op);
  assert.equal(live.status, 200, JSON.stringify(live.body));
  assert.equal(live.body.state, 'LIVE');
  assert.equal(live.body.floor, 0.52);
  expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody()), 409, 'WATCHLIST_FROZEN');
  expectError(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op), 409, 'DEPLOYMENT_STATE');
  // the configured default sets the floor for an engine with no calibration, and the refusal says so
  rig.engine.plan([fakeFace('fake:other')]);
  (rig.engine as { id: string }).id = 'fake:uncalibrated';
  try {
    const id2 = await readyDeployment({ threshold: 0.3 });
    rig.clock.set('2026-06-01T11:00:00Z');
    expectError(await call('POST', `/api/v1/deployments/${id2}/go-live`, tok.op), 422, 'THRESHOLD_BELOW_FLOOR', /configured default governance\.thresholdFloorDefault \(OPENLFR_THRESHOLD_FLOOR\) = 0\.5/);
  } finally {
    (rig.engine as { id: string }).id = 'fake:test=000000000000';
  }
});

test('api: templates from another engine block go-live', async () => {
  const id = await readyDeployment();
  rig.clock.set('2026-06-01T11:00:00Z');
  (rig.engine as { id: string }).id = 'fake:newer-model';
  try {
    expectError(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op), 422, 'WATCHLIST_ENGINE_MISMATCH');
  } finally {
    (rig.engine as { id: string }).id = 'fake:test=000000000000';
  }
  await call('POST', `/api/v1/deployments/${id}/cancel`, tok.op, { reason: 'test over' });
});

test('api: live -> frozen watchlist in memory (audited) -> close destroys images and templates, keeps references', async () => {
  const id = await readyDeployment();
  rig.clock.set('2026-06-01T11:00:00Z');
  assert.equal((await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op)).status, 200);
  const entries = (await call('GET', `/api/v1/deployments/${id}/watchlist`, tok.op)).body as unknown as { id: string; subjectRef: string }[];
  const img = await call('GET', `/api/v1/watchlist/${entries[0]!.id}/image?reason=${encodeURIComponent('compare with alert 1')}`, tok.op);
  assert.equal(img.status, 200);
  expectError(await call('GET', `/api/v1/watchlist/${entries[0]!.id}/image?reason=x`, tok.eo), 403, 'FORBIDDEN');
  const frozen = await rig.services.deployments.frozenWatchlist({ kind: 'system', name: 'live-pipeline' }, id);
  assert.equal(frozen.subjects.length, 1);
  assert.equal(frozen.subjects[0]!.templates[0]!.vector.length, 4);
  assert.equal(frozen.threshold, 0.6);
  await assert.rejects(rig.services.deployments.frozenWatchlist({ kind: 'system', name: 'retention-sweep' }, id), /may not watchlist\.frozen/);
  const closed = await call('POST', `/api/v1/deployments/${id}/close`, tok.op, { reason: 'operation over' });
  assert.equal(closed.body.state, 'CLOSED');
  assert.ok(closed.body.watchlistDestroyedAt);
  const after = (await call('GET', `/api/v1/deployments/${id}/watchlist`, tok.op)).body as unknown as Record<string, unknown>[];
  assert.equal(after[0]!.subjectRef, entries[0]!.subjectRef);
  assert.equal(after[0]!.category, 'WANTED_BY_COURT');
  for (const k of ['reason', 'legalBasis', 'imageSource', 'captureDate', 'quality']) assert.equal(after[0]![k], null, k);
  expectError(await call('GET', `/api/v1/watchlist/${entries[0]!.id}/image?reason=again`, tok.op), 404, 'NOT_FOUND', /destroyed/);
  const t = await rig.db.query<{ n: number }>('select count(*)::int n from templates where owner_id = $1', [entries[0]!.id]);
  assert.equal(t[0]!.n, 0);
  const actions = (await rig.services.audit.list({ kind: 'system', name: 'x' } as never, {}).catch(() => [])).length;
  assert.equal(actions, 0, 'an unknown system principal may not read the audit log');
});

test('api: when the window ends the sweep closes the deployment and destroys its watchlist', async () => {
  const id = await readyDeployment();
  rig.clock.set('2026-06-01T11:00:00Z');
  await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op);
  const draft = (await call('POST', '/api/v1/deployments', tok.op, deploymentBody())).body.id as string;
  await call('POST', `/api/v1/deployments/${draft}/watchlist`, tok.wm1, entryBody());
  rig.clock.set('2026-06-01T16:00:01Z');
  const r = await rig.services.deployments.sweep();
  assert.ok(r.closed.includes(id));
  assert.ok(r.cancelled.includes(draft));
  assert.ok(r.destroyed.some((d) => d.deploymentId === id && d.images === 1 && d.templates === 1));
  const blobs = await rig.db.query<{ n: number }>('select count(*)::int n from biometric_blobs');
  const files = readdirSafe(join(rig.home, 'blobs')).filter((f) => f.endsWith('.sealed'));
  assert.equal(files.length, blobs[0]!.n, 'every remaining sealed file has its row');
  const again = await rig.services.deployments.sweep();
  assert.deepEqual([again.closed, again.cancelled, again.destroyed], [[], [], []]);
  assert.equal((await call('GET', `/api/v1/deployments/${id}`, tok.eo)).body.closeReason, 'deployment window ended');
});

test('api: the audit trail is for ADMIN and AUDITOR, verifies, and records refusals', async () => {
  expectError(await call('GET', '/api/v1/audit', tok.op), 403, 'FORBIDDEN');
  expectError(await call('GET', '/api/v1/audit/verify', tok.eo), 403, 'FORBIDDEN');
  const v = await call('GET', '/api/v1/audit/verify', tok.aud);
  assert.equal(v.body.ok, true, JSON.stringify(v.body));
  const reads = await call('GET', '/api/v1/audit?action=biometric.image.read', tok.aud);
  assert.ok((reads.body as unknown as unknown[]).length >= 1);
  const text = JSON.stringify((await call('GET', '/api/v1/audit?limit=1000', tok.aud)).body);
  assert.ok(!text.includes('PNC-26'), 'no source identifiers in the audit log');
  // newest first, paged backwards: the pages meet without a gap or an overlap
  const all = (await call('GET', '/api/v1/audit?limit=1000', tok.aud)).body as unknown as { seq: number }[];
  const newest = (await call('GET', '/api/v1/audit?order=desc&limit=7', tok.aud)).body as unknown as { seq: number }[];
  assert.deepEqual(newest.map((e) => e.seq), all.slice(-7).reverse().map((e) => e.seq));
  const next = (await call('GET', `/api/v1/audit?order=desc&limit=7&beforeSeq=${newest[6]!.seq}`, tok.aud)).body as unknown as { seq: number }[];
  assert.deepEqual(next.map((e) => e.seq), all.slice(-14, -7).reverse().map((e) => e.seq));
  expectError(await call('GET', '/api/v1/audit?order=sideways', tok.aud), 400, 'BAD_REQUEST');
});
