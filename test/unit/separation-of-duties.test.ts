/**
 * Issue 14, findings 3 and 4, attacked through the HTTP API: one account that both decides an alert and
 * records its outcome; a Superintendent who edited a draft (or enrolled on its watchlist) authorising it; a
 * watchlist entry enrolled after authority and taken live without the authorising officer seeing it. (The
 * search-authority granter as a reviewer is attacked in search-api.test.ts.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/api/app.ts';
import { SYSTEM_LIVE, type Rank, type Role } from '../../src/governance/model.ts';
import { makeRig, pngBytes, type TestRig } from '../helpers/governance.ts';
import { client, type ApiResult } from '../helpers/api-client.ts';

let rig: TestRig;
let call: ReturnType<typeof client>;
const tok: Record<string, string> = {};
let png: string;

const expectError = (r: ApiResult, status: number, code: string, msg?: RegExp) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, code, JSON.stringify(r.body));
  if (msg) assert.match(String(r.body.message), msg);
};
const ok = (r: ApiResult, status = 200) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
};

before(async () => {
  rig = await makeRig();
  call = client(createApp(rig.services));
  png = Buffer.from(await pngBytes()).toString('base64');
  await rig.services.users.bootstrap({ username: 'admin', displayName: 'Admin', roles: ['ADMIN'], password: 'admin-password-1' });
  tok.admin = (await call('POST', '/api/v1/sessions', null, { username: 'admin', password: 'admin-password-1' })).body.token as string;
  const people: [string, Role[], Rank | null][] = [
    ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
    ['supt2', ['AUTHORISING_OFFICER'], 'CHIEF_SUPERINTENDENT'],
    ['suptwm', ['AUTHORISING_OFFICER', 'WATCHLIST_MANAGER'], 'SUPERINTENDENT'],
    ['wm1', ['WATCHLIST_MANAGER'], null],
    ['wm2', ['WATCHLIST_MANAGER'], null],
    ['op', ['OPERATOR'], null],
    ['eo', ['ENGAGEMENT_OFFICER'], null],
    ['both', ['OPERATOR', 'ENGAGEMENT_OFFICER'], null],
    ['aud', ['AUDITOR'], null],
  ];
  for (const [username, roles, rank] of people) {
    ok(await call('POST', '/api/v1/users', tok.admin, { username, displayName: username, roles, rank, password: `${username}-password-1` }), 201);
    tok[username] = (await call('POST', '/api/v1/sessions', null, { username, password: `${username}-password-1` })).body.token as string;
  }
});
after(async () => rig.close());

const deploymentBody = (over: Record<string, unknown> = {}) => ({
  name: 'Queen Street, match day',
  purpose: 'Locate people wanted on warrant expected among the crowd',
  useCase: 'Locate wanted persons',
  locations: [{ name: 'Queen Street', reason: 'Intelligence places two wanted subjects here on match days' }],
  cameras: ['van-1'],
  startsAt: '2026-06-01T10:00:00Z',
  endsAt: '2026-06-01T16:00:00Z',
  threshold: 0.6,
  dpiaRef: 'DPIA-2026-014',
  policyRefs: ['LFR-POLICY-v3'],
  ...over,
});
const entryBody = (src: string) => ({
  sourceRecordId: src,
  category: 'WANTED_BY_COURT',
  reason: 'Failed to appear: warrant issued by Cardiff Crown Court',
  legalBasis: 'Warrant not backed for bail, Magistrates Courts Act 1980 s.97',
  imageSource: 'custody imaging system',
  captureDate: '2026-03-02',
  under18: false,
  imageBase64: png,
});

async function enrolReviewed(id: string, src: string): Promise<Record<string, unknown>> {
  const e = ok(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody(src)), 201);
  ok(await call('POST', `/api/v1/watchlist/${e.id as string}/review`, tok.wm2, { note: 'Warrant checked on PNC today' }));
  return e;
}

test('separation: whoever edited a draft, or enrolled on its watchlist, cannot authorise it', async () => {
  rig.clock.set('2026-06-01T08:00:00Z');
  const id = ok(await call('POST', '/api/v1/deployments', tok.op, deploymentBody()), 201).id as string;
  // the Superintendent edits the draft (lowers the threshold), then the operator requests authority
  ok(await call('PATCH', `/api/v1/deployments/${id}`, tok.supt, { threshold: 0.55 }));
  ok(await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'for match day' }));
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'Necessary and proportionate for match day' }), 403, 'AUTHORITY_SELF', /edited/);
  // a Superintendent who also manages watchlists enrols an entry, then tries to authorise
  ok(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.suptwm, entryBody('PNC-77')), 201);
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.suptwm, { note: 'Necessary and proportionate for match day' }), 403, 'AUTHORITY_SELF', /enrolled/);
  assert.equal(ok(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt2, { note: 'Necessary and proportionate for match day' })).state, 'AUTHORISED');
  const refused = (ok(await call('GET', '/api/v1/audit?action=deployment.authorise.refused', tok.aud)) as unknown as { details: string }[]).map((r) => JSON.parse(r.details).code);
  assert.deepEqual(refused, ['AUTHORITY_SELF', 'AUTHORITY_SELF']);
});

test('changes after authority: an entry enrolled after authority withdraws it (DRAFT, audited with the reason); go-live is refused until it is authorised again', async () => {
  rig.clock.set('2026-06-01T08:00:00Z');
  const id = ok(await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ name: 'Late enrolment' })), 201).id as string;
  await enrolReviewed(id, 'PNC-1');
  ok(await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'for match day' }));
  ok(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'Necessary and proportionate: two named subjects' }));
  ok(await call('POST', `/api/v1/deployments/${id}/public-notice`, tok.op, { note: 'signs at both ends of the street' }));
  // the attack: enrol a further subject after authority, have it reviewed, go live
  rig.clock.set('2026-06-01T09:00:00Z');
  const late = await enrolReviewed(id, 'PNC-2');
  const dep = ok(await call('GET', `/api/v1/deployments/${id}`, tok.op));
  assert.deepEqual([dep.state, dep.authorisedBy, dep.requestedBy, dep.authorityNote], ['DRAFT', null, null, null]);
  rig.clock.set('2026-06-01T10:30:00Z');
  expectError(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op), 422, 'NOT_AUTHORISED');
  const withdrawn = ok(await call('GET', '/api/v1/audit?action=deployment.authority-withdrawn', tok.aud)) as unknown as { target: string; reason: string; details: string }[];
  assert.equal(withdrawn.length, 1);
  assert.equal(withdrawn[0]!.target, `deployment:${id}`);
  assert.match(withdrawn[0]!.reason, new RegExp(`watchlist entry ${late.id as string} enrolled after authority`));
  // authorised again, now with the late entry in view, it goes live
  ok(await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'a second subject added' }));
  ok(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'Necessary and proportionate: three named subjects' }));
  assert.equal(ok(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op)).state, 'LIVE');
});

test('separation: one account holding OPERATOR and ENGAGEMENT_OFFICER cannot decide an alert and record its outcome', async () => {
  rig.clock.set('2026-06-01T08:00:00Z');
  const id = ok(await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ name: 'Alerts' })), 201).id as string;
  const e = await enrolReviewed(id, 'PNC-9');
  ok(await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'for match day' }));
  ok(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'Necessary and proportionate for match day' }));
  ok(await call('POST', `/api/v1/deployments/${id}/public-notice`, tok.op, { note: 'signs up' }));
  rig.clock.set('2026-06-01T10:30:00Z');
  ok(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op));
  const raise = (i: number) =>
    rig.services.alerts.raise(SYSTEM_LIVE, { deploymentId: id, camera: 'van-1', trackId: i, subjectRef: e.subjectRef as string, score: 0.7, threshold: 0.6, videoTimeSec: i, shotsFused: 2, crop: { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(90) } });
  const a = await raise(1);
  ok(await call('POST', `/api/v1/alerts/${a.id}/decision`, tok.both, { decision: 'ENGAGE', note: 'looks like the subject' }));
  expectError(await call('POST', `/api/v1/alerts/${a.id}/outcome`, tok.both, { outcome: 'ARRESTED', note: 'Arrested on the warrant' }), 403, 'SEPARATION_OF_DUTIES');
  assert.equal(ok(await call('GET', `/api/v1/alerts/${a.id}`, tok.both)).status, 'ENGAGED');
  // another officer records it; the same dual-role account may record the outcome of an alert someone else decided
  assert.equal(ok(await call('POST', `/api/v1/alerts/${a.id}/outcome`, tok.eo, { outcome: 'ARRESTED', note: 'Arrested on the warrant' })).status, 'CLOSED');
  const b = await raise(2);
  ok(await call('POST', `/api/v1/alerts/${b.id}/decision`, tok.op, { decision: 'ENGAGE' }));
  assert.equal(ok(await call('POST', `/api/v1/alerts/${b.id}/outcome`, tok.both, { outcome: 'IDENTITY_CONFIRMED', note: 'Spoke to them; identity confirmed' })).status, 'CLOSED');
  const refused = ok(await call('GET', '/api/v1/audit?action=alert.outcome.refused', tok.aud)) as unknown as { details: string }[];
  assert.deepEqual(refused.map((r) => JSON.parse(r.details).code), ['SEPARATION_OF_DUTIES']);
});
