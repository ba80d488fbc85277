/**
 * Issue 14, item 13: what a newcomer walking through the API and the CLI found. Each test performs what they
 * did and asserts the documented behaviour: refusals by validation audited, human wording instead of the
 * schema library's text, a NUL byte refused as a bad request (not a 500), the audit alarm reaching every
 * role (the investigator too), and the exit statuses the docs give.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { exitCodeOf } from '../../src/cli/main.ts';
import { SYSTEM_LIVE } from '../../src/governance/model.ts';
import { alarmMessage, landingPage, retentionNotice } from '../../console/src/messages.ts';
import type { TestRig } from '../helpers/governance.ts';
import { apiRig, deploymentBody, entryBody as baseEntry, type Person } from '../helpers/api-rig.ts';
import { client, type ApiResult } from '../helpers/api-client.ts';

let rig: TestRig;
let call: ReturnType<typeof client>;
const tok: Record<string, string> = {};
let png: string;
/** The deployment taken live by the first test, and its subject. */
let liveId = '';
let liveRef = '';

const expectError = (r: ApiResult, status: number, code: string, msg?: RegExp) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, code, JSON.stringify(r.body));
  if (msg) assert.match(String(r.body.message), msg);
};
const ok = (r: ApiResult, status = 200) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
};
/** zod's own wording, which must never reach a person. */
const ZOD_TEXT = /Too small|Too big|expected string|expected number|Invalid input|Invalid option|Unrecognized key|>=|<=/;

const PEOPLE: Person[] = [
  ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
  ['wm1', ['WATCHLIST_MANAGER'], null],
  ['wm2', ['WATCHLIST_MANAGER'], null],
  ['op', ['OPERATOR'], null],
  ['eo', ['ENGAGEMENT_OFFICER'], null],
  ['aud', ['AUDITOR'], null],
  ['inv', ['INVESTIGATOR'], null],
];

before(async () => {
  const r = await apiRig(PEOPLE);
  ({ rig, call, png } = r);
  Object.assign(tok, r.tok);
});
after(async () => rig.close());

const entryBody = (over: Record<string, unknown> = {}) => baseEntry(png, over);
const refusals = async (since: number) =>
  (await rig.db.query<{ seq: number; actor: string; action: string; target: string; details: string }>(`select seq, actor, action, target, details from audit_log where seq > $1 and action like '%.refused' order by seq`, [since])).map(
    (r) => [r.actor, r.action, JSON.parse(r.details).code as string],
  );
const headSeq = async () => (await rig.db.query<{ n: number }>('select coalesce(max(seq), 0)::int as n from audit_log'))[0]!.n;

test('newcomer: refusals by validation (category, grounds, under-18, frozen watchlist, wrong role) are in the audit trail', async () => {
  rig.clock.set('2026-06-01T08:00:00Z');
  const id = ok(await call('POST', '/api/v1/deployments', tok.op, deploymentBody()), 201).id as string;
  const since = await headSeq();
  const enrol = (who: string, over: Record<string, unknown>) => call('POST', `/api/v1/deployments/${id}/watchlist`, tok[who], entryBody(over));
  expectError(await enrol('wm1', { category: 'OTHER' }), 400, 'BAD_REQUEST');
  expectError(await enrol('wm1', { category: 'WANTED_BY_POLICE_SUSPECT' }), 422, 'RULE_VIOLATION', /grounds/);
  expectError(await enrol('wm1', { under18: true }), 422, 'RULE_VIOLATION', /under 18/);
  expectError(await enrol('op', {}), 403, 'FORBIDDEN');
  // a wrong role elsewhere: an operator lists users, an investigator reads the deployments
  expectError(await call('GET', '/api/v1/users', tok.op), 403, 'FORBIDDEN');
  expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.inv, { note: 'Necessary and proportionate for the day' }), 403, 'FORBIDDEN');
  // the watchlist frozen at go-live
  const e = ok(await enrol('wm1', {}), 201);
  liveId = id;
  liveRef = e.subjectRef as string;
  ok(await call('POST', `/api/v1/watchlist/${e.id as string}/review`, tok.wm2, { note: 'Warrant checked on PNC today' }));
  ok(await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'for match day' }));
  ok(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'Necessary and proportionate for match day' }));
  ok(await call('POST', `/api/v1/deployments/${id}/public-notice`, tok.op, { note: 'signs at both ends of the street' }));
  rig.clock.set('2026-06-01T10:30:00Z');
  ok(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op));
  const frozenFrom = await headSeq();
  expectError(await enrol('wm1', { sourceRecordId: 'PNC-27/1' }), 409, 'WATCHLIST_FROZEN');
  const all = await refusals(since);
  assert.deepEqual(all.filter((r) => (r[1] as string).startsWith('watchlist.enrol') || r[1] === 'api.refused'), [
    ['user:wm1', 'api.refused', 'BAD_REQUEST'],
    ['user:wm1', 'watchlist.enrol.refused', 'RULE_VIOLATION'],
    ['user:wm1', 'watchlist.enrol.refused', 'RULE_VIOLATION'],
    ['user:op', 'watchlist.enrol.refused', 'FORBIDDEN'],
    ['user:op', 'api.refused', 'FORBIDDEN'],
    ['user:inv', 'api.refused', 'FORBIDDEN'],
    ['user:wm1', 'watchlist.enrol.refused', 'WATCHLIST_FROZEN'],
  ]);
  // recorded once each, with what was asked (the route) and why
  assert.deepEqual(await refusals(frozenFrom), [['user:wm1', 'watchlist.enrol.refused', 'WATCHLIST_FROZEN']]);
  const category = (await rig.db.query<{ target: string; reason: string }>(`select target, reason from audit_log where seq > $1 and action = 'api.refused' order by seq limit 1`, [since]))[0]!;
  assert.equal(category.target, `api:POST /api/v1/deployments/${id}/watchlist`);
  assert.match(category.reason, /Category must be one of: WANTED_BY_COURT/);
});

test('newcomer: a refused request reads as a sentence a person can act on, never the schema library\'s text', async () => {
  rig.clock.set('2026-06-01T08:00:00Z');
  const id = ok(await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ name: 'Wording' })), 201).id as string;
  const cases: [ApiResult, RegExp][] = [
    [await call('POST', '/api/v1/deployments', tok.op, { ...deploymentBody(), name: '' }), /Name is required/],
    [await call('POST', '/api/v1/deployments', tok.op, { ...deploymentBody(), purpose: 'short' }), /Purpose needs at least 10 characters/],
    [await call('POST', '/api/v1/deployments', tok.op, { ...deploymentBody(), locations: [{ name: 'x', reason: '' }] }), /Locations #1 reason needs at least 10 characters/],
    [await call('POST', '/api/v1/deployments', tok.op, { ...deploymentBody(), threshold: 'high' }), /Threshold must be a number/],
    [await call('POST', '/api/v1/deployments', tok.op, { ...deploymentBody(), startsAt: 'tomorrow' }), /Starts at must be a date and time/],
    [await call('POST', '/api/v1/deployments', tok.op, { ...deploymentBody(), extra: 1 }), /Unknown field: extra/],
    [await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, { ...entryBody(), reason: undefined }), /Reason is required/],
    [await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ category: 'OTHER' })), /Category must be one of: WANTED_BY_COURT, WANTED_BY_POLICE_SUSPECT/],
    [await call('PUT', '/api/v1/users/op/roles', tok.admin, { roles: ['OPERATOR'], reason: '' }), /Reason needs at least 5 characters/],
    [await call('POST', '/api/v1/users/op/disable', tok.admin, {}), /Reason is required/],
    [await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 5 }), /Note must be text/],
  ];
  for (const [r, msg] of cases) {
    expectError(r, 400, 'BAD_REQUEST', msg);
    assert.doesNotMatch(String(r.body.message), ZOD_TEXT, String(r.body.message));
    for (const i of (r.body.details as { issues: { message: string }[] }).issues) assert.doesNotMatch(i.message, ZOD_TEXT);
  }
});

test('newcomer: a NUL byte in a field, a query or a path is a bad request (400), never an internal error', async () => {
  rig.clock.set('2026-06-01T08:00:00Z');
  const cases: ApiResult[] = [
    await call('POST', '/api/v1/sessions', null, { username: 'ad\u0000min', password: 'admin-password-1' }),
    await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ name: 'Queen\u0000Street' })),
    await call('POST', '/api/v1/deployments', tok.op, undefined, JSON.stringify(deploymentBody()).replace('Queen Street', 'Queen\\u0000Street')),
    await call('GET', '/api/v1/deployments/dep_%00x', tok.op),
    await call('GET', '/api/v1/audit?actor=user:%00admin', tok.aud),
    await call('PUT', '/api/v1/users/op/roles', tok.admin, { roles: ['OPERATOR'], reason: 'posting \u0000 to the control room' }),
  ];
  for (const r of cases) expectError(r, 400, 'BAD_REQUEST', /NUL/);
  // nothing was written, and the store still answers
  assert.equal((ok(await call('GET', '/api/v1/deployments', tok.op)) as unknown as { name: string }[]).filter((d) => d.name.includes('\u0000')).length, 0);
});

test('newcomer: the audit alarm reaches every role, the investigator too', async () => {
  const roles = ['admin', ...PEOPLE.map(([u]) => u)];
  for (const u of roles) assert.equal(ok(await call('GET', '/api/v1/oversight/status', tok[u])).auditAlarm, false, u);
  await rig.db.exec(`alter table audit_log disable trigger audit_log_no_update;
    update audit_log set reason = 'rewritten' where seq = 2;
    alter table audit_log enable trigger audit_log_no_update;`);
  await rig.services.retention.verifyNow();
  for (const u of roles) {
    const st = ok(await call('GET', '/api/v1/oversight/status', tok[u]));
    assert.equal(st.auditAlarm, true, u);
    assert.equal((st.audit as { firstBad: { seq: number } }).firstBad.seq, 2, u);
    // what the console's banner says, from what this role is given
    assert.match(alarmMessage(st as never) ?? '', /Audit trail BROKEN at entry 2: .*tell your force's auditor/, u);
  }
});

test('newcomer: exit statuses are those the docs give: refusals and set-up refusals (STORE_LOCKED, KEY_MISSING) exit 2', async () => {
  assert.equal(exitCodeOf(new OpenLfrError('RULE_VIOLATION')), 2);
  assert.equal(exitCodeOf(new OpenLfrError('STORE_LOCKED')), 2);
  assert.equal(exitCodeOf(new OpenLfrError('KEY_MISSING')), 2);
  assert.equal(exitCodeOf(new OpenLfrError('KEY_INVALID')), 2);
  assert.equal(exitCodeOf(new OpenLfrError('INTERNAL')), 1);
  assert.equal(exitCodeOf(new Error('a bug')), 1);
  // through the real CLI
  const home = mkdtempSync(join(tmpdir(), 'openlfr-exit-'));
  try {
    const cli = (env: Record<string, string>) =>
      spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), 'user', 'list', '--as', 'admin'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENLFR_HOME: home, OPENLFR_PASSWORD: 'x', ...env },
        encoding: 'utf8',
        cwd: home,
      });
    const nokey = cli({});
    assert.match(nokey.stderr, /openlfr: KEY_MISSING: /);
    assert.equal(nokey.status, 2);
    // the store open in another process (this one: alive, and not the CLI's pid)
    writeFileSync(join(home, 'db.lock'), String(process.pid));
    const locked = cli({ OPENLFR_KEY: randomBytes(32).toString('base64') });
    assert.match(locked.stderr, /openlfr: STORE_LOCKED: /);
    assert.equal(locked.status, 2);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('newcomer: every role lands on a console page it may see; the investigator on search, not a FORBIDDEN list of deployments', async () => {
  for (const u of ['admin', ...PEOPLE.map(([x]) => x)]) {
    const perms = (ok(await call('GET', '/api/v1/me/permissions', tok[u])).permissions as string[]);
    const landing = landingPage(perms);
    assert.notEqual(landing, 'home', u);
    const loads = landing === 'deployments' ? ['/api/v1/deployments'] : ['/api/v1/galleries', '/api/v1/searches', '/api/v1/search-authorities', '/api/v1/search-offences'];
    for (const path of loads) ok(await call('GET', path, tok[u]));
  }
  assert.equal(landingPage((ok(await call('GET', '/api/v1/me/permissions', tok.inv)).permissions as string[])), 'search');
  // what the investigator used to land on
  expectError(await call('GET', '/api/v1/deployments', tok.inv), 403, 'FORBIDDEN');
  // an account whose only role waits for a second ADMIN has a neutral page
  assert.equal(landingPage([]), 'home');
});

test('newcomer: a face deleted under the retention rules is told neutrally (details.deletedByRetention), a refusal is not', async () => {
  assert.ok(liveId, 'the first test took a deployment live');
  const a = await rig.services.alerts.raise(SYSTEM_LIVE, {
    deploymentId: liveId, camera: 'van-1', trackId: 1, subjectRef: liveRef, score: 0.7, threshold: 0.6, videoTimeSec: 1, shotsFused: 2,
    crop: { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(90) },
  });
  ok(await call('GET', `/api/v1/alerts/${a.id}/probe-image`, tok.op));
  ok(await call('POST', `/api/v1/alerts/${a.id}/decision`, tok.op, { decision: 'DISMISS', note: 'not the person' }));
  const run = await rig.services.retention.run();
  assert.ok(Object.values(run.cropsDeleted).flat().includes(a.id), JSON.stringify(run.cropsDeleted));
  const gone = await call('GET', `/api/v1/alerts/${a.id}/probe-image`, tok.op);
  expectError(gone, 404, 'NOT_FOUND', /deleted under the retention rules/);
  assert.equal((gone.body.details as Record<string, unknown>).deletedByRetention, true);
  assert.match(retentionNotice(gone.body) ?? '', /deleted under the retention rules/);
  // a refusal stays a refusal
  const refused = await call('GET', `/api/v1/alerts/${a.id}/probe-image`, tok.aud);
  expectError(refused, 403, 'FORBIDDEN');
  assert.equal(retentionNotice(refused.body), null);
});
