/**
 * Issue 14, findings 3 and 4, attacked through the HTTP API: one account that both decides an alert and
 * records its outcome; a Superintendent who edited a draft (or enrolled on its watchlist) authorising it; a
 * watchlist entry enrolled after authority and taken live without the authorising officer seeing it. (The
 * search-authority granter as a reviewer is attacked in search-api.test.ts.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_LIVE } from '../../src/governance/model.ts';
import type { TestRig } from '../helpers/governance.ts';
import { apiRig, deploymentBody, entryBody as baseEntry, type Person } from '../helpers/api-rig.ts';
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

const PEOPLE: Person[] = [
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

before(async () => {
  const r = await apiRig(PEOPLE);
  ({ rig, call, png } = r);
  Object.assign(tok, r.tok);
});
after(async () => rig.close());

const entryBody = (src: string) => baseEntry(png, { sourceRecordId: src });

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

test('separation: granting AUTHORISING_OFFICER, ADMIN or a rank needs a second ADMIN; the requester and the grantee cannot confirm it', async () => {
  const login = async (username: string) => (await call('POST', '/api/v1/sessions', null, { username, password: `${username}-password-1` })).body.token as string;
  const second = (await call('POST', '/api/v1/sessions', null, { username: 'second-admin', password: 'second-admin-password-1' })).body.token as string;
  // the attack: an ADMIN mints a COMMISSIONER account and authorises with it
  const made = ok(await call('POST', '/api/v1/users', tok.admin, { username: 'commish', displayName: 'Commissioner', roles: ['AUTHORISING_OFFICER'], rank: 'COMMISSIONER', password: 'commish-password-1' }), 201);
  assert.deepEqual([made.roles, made.rank], [[], null], 'the account starts without the grant');
  const pending = made.pendingGrant as Record<string, unknown>;
  assert.deepEqual([pending.roles, pending.rank, pending.status, pending.requestedByUsername], [['AUTHORISING_OFFICER'], 'COMMISSIONER', 'PENDING', 'admin']);
  const commish = await login('commish');
  rig.clock.set('2026-06-01T08:00:00Z');
  const id = ok(await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ name: 'Minted authority' })), 201).id as string;
  await enrolReviewed(id, 'PNC-31');
  ok(await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'for match day' }));
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, commish, { note: 'Necessary and proportionate for match day' }), 403, 'FORBIDDEN');
  // the requester cannot confirm their own request; the grantee and other roles cannot either
  expectError(await call('POST', '/api/v1/users/commish/grant/confirm', tok.admin, { note: 'confirming my own request' }), 403, 'SEPARATION_OF_DUTIES', /second ADMIN/);
  expectError(await call('POST', '/api/v1/users/commish/grant/confirm', commish, { note: 'confirming my own promotion' }), 403, 'FORBIDDEN');
  expectError(await call('POST', '/api/v1/users/commish/grant/confirm', tok.supt, { note: 'helping out the admin' }), 403, 'FORBIDDEN');
  // minting a further ADMIN to confirm with: once a store has two ADMINs, ADMIN is a grant too
  const admin3 = ok(await call('POST', '/api/v1/users', tok.admin, { username: 'admin3', displayName: 'Third', roles: ['ADMIN'], password: 'admin3-password-1' }), 201);
  assert.deepEqual(admin3.roles, []);
  expectError(await call('POST', '/api/v1/users/commish/grant/confirm', await login('admin3'), { note: 'confirming as a new admin' }), 403, 'FORBIDDEN');
  // a grant to an ADMIN is not confirmed by that ADMIN
  const toSecond = ok(await call('PUT', '/api/v1/users/second-admin/roles', tok.admin, { roles: ['ADMIN', 'AUTHORISING_OFFICER'], rank: 'CHIEF_SUPERINTENDENT', reason: 'promoted to chief superintendent' }));
  assert.deepEqual([toSecond.roles, (toSecond.pendingGrant as Record<string, unknown>).rank], [['ADMIN'], 'CHIEF_SUPERINTENDENT']);
  expectError(await call('POST', '/api/v1/users/second-admin/grant/confirm', second, { note: 'my own promotion' }), 403, 'SEPARATION_OF_DUTIES', /for you/);
  assert.deepEqual((ok(await call('GET', '/api/v1/user-grants', tok.aud)) as unknown as { grantee: string }[]).map((g) => g.grantee).sort(), ['admin3', 'commish', 'second-admin']);
  // the second ADMIN confirms: only now does the account hold the role and the rank
  const done = ok(await call('POST', '/api/v1/users/commish/grant/confirm', second, { note: 'warrant card and promotion notice checked' }));
  assert.deepEqual([done.roles, done.rank], [['AUTHORISING_OFFICER'], 'COMMISSIONER']);
  assert.equal(ok(await call('POST', `/api/v1/deployments/${id}/authorise`, commish, { note: 'Necessary and proportionate for match day' })).state, 'AUTHORISED');
  // an account changed after the request: the old grant is not applied over it; it is declined
  ok(await call('PUT', '/api/v1/users/admin3/roles', tok.admin, { roles: ['AUDITOR'], reason: 'posted to professional standards' }));
  expectError(await call('POST', '/api/v1/users/admin3/grant/confirm', second, { note: 'confirming the old request' }), 409, 'CONFLICT', /changed/);
  assert.deepEqual(ok(await call('POST', '/api/v1/users/admin3/grant/decline', second, { note: 'superseded by the new posting' })).roles, ['AUDITOR']);
  // audited: the request, the refusals (with their codes), the confirmation and the decline
  const trail = async (action: string) => ok(await call('GET', `/api/v1/audit?action=${action}`, tok.aud)) as unknown as { actor: string; target: string; details: string }[];
  const requests = await trail('user.grant.request');
  assert.ok(requests.some((r) => r.actor === 'user:admin' && r.target === 'user:commish' && /"grants":\["AUTHORISING_OFFICER","rank COMMISSIONER"\]/.test(r.details)));
  assert.deepEqual((await trail('user.grant.confirm.refused')).map((r) => [r.actor, JSON.parse(r.details).code]), [
    ['user:admin', 'SEPARATION_OF_DUTIES'], ['user:commish', 'FORBIDDEN'], ['user:supt', 'FORBIDDEN'], ['user:admin3', 'FORBIDDEN'], ['user:second-admin', 'SEPARATION_OF_DUTIES'], ['user:second-admin', 'CONFLICT'],
  ]);
  const confirmed = (await trail('user.grant.confirm')).find((r) => r.target === 'user:commish')!;
  assert.equal(confirmed.actor, 'user:second-admin');
  assert.match(confirmed.details, /"requestedBy":"user:admin"/);
  assert.equal((await trail('user.grant.decline')).length, 1);
  // and the database refuses a decision by the requester or the grantee whatever the code does
  await assert.rejects(rig.db.query(`update user_grants set decided_by = requested_by where status = 'PENDING'`));
});
